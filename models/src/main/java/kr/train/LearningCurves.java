package kr.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Draws the learning curves of a run as SVG: loss (left) and accuracy in percent (right) against
 * the epoch, train dashed and test solid.
 *
 * <pre>{@code Files.writeString(out.resolve("curves.svg"), LearningCurves.svg(history, "resnet20 on cifar10")); }</pre>
 */
public final class LearningCurves {
    private static final int W = 900, H = 360, PW = 380, PH = 260, TOP = 50, LEFT = 60, GAP = 70;
    private static final String TRAIN = "#1f77b4", TEST = "#d62728";

    private LearningCurves() {}

    public static String svg(List<EpochMetrics> history, String title) {
        Svg s = new Svg(W, H);
        s.text(W / 2.0, 22, title, "middle", 15, 0);
        panel(s, LEFT, "loss", history, m -> m.trainLoss(), m -> m.testLoss(), false);
        panel(s, LEFT + PW + GAP, "accuracy (%)", history, m -> 100 * m.trainAcc(), m -> 100 * m.testAcc(), true);
        return s.finish();
    }

    private static void panel(Svg s, double x0, String name, List<EpochMetrics> h, ToDoubleFunction<EpochMetrics> train,
            ToDoubleFunction<EpochMetrics> test, boolean zeroBased) {
        double[] ex = new double[h.size()], tr = new double[h.size()], te = new double[h.size()];
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < h.size(); i++) {
            ex[i] = h.get(i).epoch();
            tr[i] = train.applyAsDouble(h.get(i));
            te[i] = test.applyAsDouble(h.get(i));
            for (double v : new double[] {tr[i], te[i]})
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
        }
        if (!(lo <= hi)) {
            lo = 0;
            hi = 1;
        }
        if (zeroBased) lo = 0;
        if (hi - lo < 1e-9) hi = lo + 1;
        double[] yt = ticks(lo, hi);
        lo = Math.min(lo, yt[0]);
        hi = Math.max(hi, yt[yt.length - 1]);
        double xmax = Math.max(1, h.isEmpty() ? 1 : ex[ex.length - 1]);
        double fLo = lo, fHi = hi;
        java.util.function.DoubleUnaryOperator X = e -> x0 + (xmax <= 1 ? PW / 2.0 : (e - 1) / (xmax - 1) * PW);
        java.util.function.DoubleUnaryOperator Y = v -> TOP + PH - (v - fLo) / (fHi - fLo) * PH;
        s.rect(x0, TOP, PW, PH, null, "#888888");
        for (double t : yt) {
            double y = Y.applyAsDouble(t);
            s.line(x0, y, x0 + PW, y, "#e5e5e5", 1);
            s.text(x0 - 6, y + 4, label(t), "end", 11, 0);
        }
        for (double t : ticks(1, xmax)) {
            if (t < 1 || t > xmax || t != Math.rint(t)) continue;
            double x = X.applyAsDouble(t);
            s.line(x, TOP + PH, x, TOP + PH + 5, "#888888", 1);
            s.text(x, TOP + PH + 18, label(t), "middle", 11, 0);
        }
        s.text(x0 + PW / 2.0, TOP + PH + 36, "epoch", "middle", 12, 0);
        s.text(x0 - 44, TOP + PH / 2.0, name, "middle", 12, -90);
        series(s, ex, tr, X, Y, TRAIN, "6,4");
        series(s, ex, te, X, Y, TEST, null);
        // legend in the corner the curves leave free: top right for falling loss, bottom right for rising accuracy
        double ly = zeroBased ? TOP + PH - 40 : TOP + 14;
        s.polyline(new double[] {x0 + PW - 110, x0 + PW - 85}, new double[] {ly, ly}, TRAIN, 2, "6,4");
        s.text(x0 + PW - 80, ly + 4, "train", "start", 11, 0);
        s.line(x0 + PW - 110, ly + 16, x0 + PW - 85, ly + 16, TEST, 2);
        s.text(x0 + PW - 80, ly + 20, "test", "start", 11, 0);
    }

    private static void series(Svg s, double[] ex, double[] v, java.util.function.DoubleUnaryOperator X, java.util.function.DoubleUnaryOperator Y,
            String color, String dash) {
        List<double[]> pts = new ArrayList<>();
        for (int i = 0; i < ex.length; i++) if (Double.isFinite(v[i])) pts.add(new double[] {X.applyAsDouble(ex[i]), Y.applyAsDouble(v[i])});
        if (pts.size() == 1) s.circle(pts.get(0)[0], pts.get(0)[1], 3, color);
        if (pts.size() < 2) return;
        double[] xs = new double[pts.size()], ys = new double[pts.size()];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = pts.get(i)[0];
            ys[i] = pts.get(i)[1];
        }
        s.polyline(xs, ys, color, 2, dash);
    }

    /** About five round tick values covering [lo, hi]. */
    static double[] ticks(double lo, double hi) {
        double span = hi - lo, raw = span / 5, mag = Math.pow(10, Math.floor(Math.log10(raw))), step = mag;
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            step = m * mag;
            if (span / step <= 6) break;
        }
        double first = Math.floor(lo / step) * step, last = Math.ceil(hi / step) * step;
        int n = (int) Math.round((last - first) / step) + 1;
        double[] t = new double[n];
        for (int i = 0; i < n; i++) t[i] = first + i * step;
        return t;
    }

    private static String label(double v) {
        if (Math.abs(v - Math.rint(v)) < 1e-9) return Long.toString(Math.round(v));
        return String.format(Locale.ROOT, "%.2f", v).replaceAll("0+$", "");
    }
}
