package kr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class LearningCurvesTest {
    static Document parse(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void drawsTrainAndTestCurvesOfLossAndAccuracy() throws Exception {
        List<EpochMetrics> h = List.of(new EpochMetrics(1, 0.1, 2.0, 0.3, 1.9, 0.35, 0.8, 10, 100, Map.of()),
                new EpochMetrics(2, 0.1, 1.5, 0.5, 1.6, 0.45, 0.9, 10, 100, Map.of()),
                new EpochMetrics(3, 0.01, 1.2, 0.6, 1.4, 0.52, 0.95, 10, 100, Map.of()));
        Document d = parse(LearningCurves.svg(h, "net <on> \"data\" & more"));
        assertEquals("svg", d.getDocumentElement().getTagName());
        assertEquals(6, d.getElementsByTagName("polyline").getLength(), "train and test in two panels, plus the dashed train legend lines");
        String points = d.getElementsByTagName("polyline").item(0).getAttributes().getNamedItem("points").getNodeValue();
        assertEquals(3, points.split(" ").length);
        assertTrue(d.getDocumentElement().getTextContent().contains("net <on> \"data\" & more"), "title escaped and restored");
    }

    @Test
    void oneEpochAndNoEpochStillMakeValidSvg() throws Exception {
        parse(LearningCurves.svg(List.of(), "empty"));
        Document d = parse(LearningCurves.svg(List.of(new EpochMetrics(1, 0.1, 2.0, 0.3, Double.NaN, 0.35, 0.8, 10, 100, Map.of())), "one"));
        assertEquals(3, d.getElementsByTagName("circle").getLength(), "single points drawn as dots; the NaN test loss is skipped");
    }

    @Test
    void ticksAreRoundAndCoverTheRange() {
        double[] t = LearningCurves.ticks(0.37, 2.31);
        assertTrue(t[0] <= 0.37 && t[t.length - 1] >= 2.31);
        assertTrue(t.length >= 3 && t.length <= 8);
        assertEquals(0.5, t[1] - t[0], 1e-12);
    }
}
