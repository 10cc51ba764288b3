package kr.train;

import java.util.Locale;

/**
 * A minimal SVG writer (lines, polylines, rectangles, text), enough for learning curves without a
 * plotting dependency.
 *
 * <pre>{@code Svg s = new Svg(400, 300); s.line(0, 0, 10, 10, "#000", 1); String text = s.finish(); }</pre>
 */
public final class Svg {
    private final StringBuilder b = new StringBuilder();

    public Svg(int width, int height) {
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"").append(height)
                .append("\" viewBox=\"0 0 ").append(width).append(' ').append(height)
                .append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
        rect(0, 0, width, height, "#ffffff", null);
    }

    public Svg line(double x1, double y1, double x2, double y2, String stroke, double width) {
        b.append(String.format(Locale.ROOT, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"%.2f\"/>\n", x1, y1,
                x2, y2, stroke, width));
        return this;
    }

    public Svg rect(double x, double y, double w, double h, String fill, String stroke) {
        b.append(String.format(Locale.ROOT, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"%s/>\n", x, y, w, h,
                fill == null ? "none" : fill, stroke == null ? "" : " stroke=\"" + stroke + "\""));
        return this;
    }

    /** A polyline through {@code (xs[i], ys[i])}; {@code dash} like "6,3" or null for solid. */
    public Svg polyline(double[] xs, double[] ys, String stroke, double width, String dash) {
        b.append("<polyline fill=\"none\" stroke=\"").append(stroke).append("\" stroke-width=\"").append(fmt(width)).append('"');
        if (dash != null) b.append(" stroke-dasharray=\"").append(dash).append('"');
        b.append(" points=\"");
        for (int i = 0; i < xs.length; i++) b.append(i == 0 ? "" : " ").append(fmt(xs[i])).append(',').append(fmt(ys[i]));
        b.append("\"/>\n");
        return this;
    }

    public Svg circle(double x, double y, double r, String fill) {
        b.append(String.format(Locale.ROOT, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"%s\"/>\n", x, y, r, fill));
        return this;
    }

    /** Text at (x, y); {@code anchor} start, middle or end; {@code rotate} degrees about (x, y). */
    public Svg text(double x, double y, String text, String anchor, int size, double rotate) {
        b.append(String.format(Locale.ROOT, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\" font-size=\"%d\"", x, y, anchor, size));
        if (rotate != 0) b.append(String.format(Locale.ROOT, " transform=\"rotate(%.1f %.2f %.2f)\"", rotate, x, y));
        b.append('>').append(escape(text)).append("</text>\n");
        return this;
    }

    public String finish() {
        return b + "</svg>\n";
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
