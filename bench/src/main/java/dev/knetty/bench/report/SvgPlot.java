package dev.knetty.bench.report;

import java.util.List;
import java.util.Locale;

/**
 * A plain SVG line chart: title, plot area with grid and tick labels, axis labels, one path per
 * series and a legend. Shared by {@link PercentilePlot} and {@link TimeSeriesPlot}.
 */
final class SvgPlot {

  static final int WIDTH = 820;
  static final int HEIGHT = 500;
  private static final int LEFT = 78;
  private static final int RIGHT = 24;
  private static final int TOP = 46;
  private static final int BOTTOM = 60;

  /** Tableau 10: distinct, colour-blind-friendlier than the rainbow. */
  private static final String[] COLORS = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"
  };

  private final StringBuilder svg = new StringBuilder(16 * 1024);
  private final double xMin;
  private final double xMax;
  private final double yMin;
  private final double yMax;

  SvgPlot(String title, double xMin, double xMax, double yMin, double yMax) {
    this.xMin = xMin;
    this.xMax = xMax > xMin ? xMax : xMin + 1;
    this.yMin = yMin;
    this.yMax = yMax > yMin ? yMax : yMin + 1;
    svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(WIDTH)
        .append("\" height=\"")
        .append(HEIGHT)
        .append("\" viewBox=\"0 0 ")
        .append(WIDTH)
        .append(' ')
        .append(HEIGHT)
        .append("\" font-family=\"sans-serif\" font-size=\"12\">\n")
        .append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n")
        .append("<text class=\"title\" x=\"")
        .append(WIDTH / 2)
        .append("\" y=\"26\" text-anchor=\"middle\" font-size=\"16\">")
        .append(escape(title))
        .append("</text>\n");
  }

  double x(double value) {
    return LEFT + (value - xMin) / (xMax - xMin) * (WIDTH - LEFT - RIGHT);
  }

  double y(double value) {
    return HEIGHT - BOTTOM - (value - yMin) / (yMax - yMin) * (HEIGHT - TOP - BOTTOM);
  }

  void xTick(double value, String label) {
    double px = x(value);
    line(px, TOP, px, HEIGHT - BOTTOM, "#e0e0e0");
    svg.append("<text x=\"")
        .append(fmt(px))
        .append("\" y=\"")
        .append(HEIGHT - BOTTOM + 18)
        .append("\" text-anchor=\"middle\">")
        .append(escape(label))
        .append("</text>\n");
  }

  void yTick(double value, String label) {
    double py = y(value);
    line(LEFT, py, WIDTH - RIGHT, py, "#e0e0e0");
    svg.append("<text x=\"")
        .append(LEFT - 8)
        .append("\" y=\"")
        .append(fmt(py + 4))
        .append("\" text-anchor=\"end\">")
        .append(escape(label))
        .append("</text>\n");
  }

  /** Ticks at multiples of a "nice" step across the y range. */
  void niceYTicks() {
    double step = niceStep(yMax - yMin, 6);
    for (double v = Math.ceil(yMin / step) * step; v <= yMax + step * 1e-9; v += step) {
      yTick(v, number(v));
    }
  }

  void niceXTicks() {
    double step = niceStep(xMax - xMin, 8);
    for (double v = Math.ceil(xMin / step) * step; v <= xMax + step * 1e-9; v += step) {
      xTick(v, number(v));
    }
  }

  void axes(String xLabel, String yLabel) {
    line(LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM, "#333333");
    line(LEFT, TOP, LEFT, HEIGHT - BOTTOM, "#333333");
    svg.append("<text class=\"x-label\" x=\"")
        .append((LEFT + WIDTH - RIGHT) / 2)
        .append("\" y=\"")
        .append(HEIGHT - 16)
        .append("\" text-anchor=\"middle\">")
        .append(escape(xLabel))
        .append("</text>\n");
    int cy = (TOP + HEIGHT - BOTTOM) / 2;
    svg.append("<text class=\"y-label\" x=\"18\" y=\"")
        .append(cy)
        .append("\" text-anchor=\"middle\" transform=\"rotate(-90 18 ")
        .append(cy)
        .append(")\">")
        .append(escape(yLabel))
        .append("</text>\n");
  }

  /** A series as one path (a single point as a dot), in the colour of its index. */
  void series(int index, String label, List<double[]> points) {
    String color = COLORS[index % COLORS.length];
    svg.append("<path class=\"curve\" data-label=\"")
        .append(escape(label))
        .append("\" fill=\"none\" stroke=\"")
        .append(color)
        .append("\" stroke-width=\"2\" d=\"");
    for (int i = 0; i < points.size(); i++) {
      double[] p = points.get(i);
      svg.append(i == 0 ? "M" : " L").append(fmt(x(p[0]))).append(',').append(fmt(y(p[1])));
    }
    svg.append("\"/>\n");
    if (points.size() == 1) {
      double[] p = points.get(0);
      svg.append("<circle cx=\"")
          .append(fmt(x(p[0])))
          .append("\" cy=\"")
          .append(fmt(y(p[1])))
          .append("\" r=\"3\" fill=\"")
          .append(color)
          .append("\"/>\n");
    }
  }

  /** The legend, top left inside the plot area. */
  void legend(List<String> labels) {
    int widest = labels.stream().mapToInt(String::length).max().orElse(0);
    int boxWidth = 34 + 7 * widest;
    svg.append("<g class=\"legend\">\n<rect x=\"")
        .append(LEFT + 10)
        .append("\" y=\"")
        .append(TOP + 8)
        .append("\" width=\"")
        .append(boxWidth)
        .append("\" height=\"")
        .append(10 + 18 * labels.size())
        .append("\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#cccccc\"/>\n");
    for (int i = 0; i < labels.size(); i++) {
      int ly = TOP + 22 + 18 * i;
      line(LEFT + 18, ly - 4, LEFT + 36, ly - 4, COLORS[i % COLORS.length], 3);
      svg.append("<text x=\"")
          .append(LEFT + 42)
          .append("\" y=\"")
          .append(ly)
          .append("\">")
          .append(escape(labels.get(i)))
          .append("</text>\n");
    }
    svg.append("</g>\n");
  }

  String finish() {
    return svg.append("</svg>\n").toString();
  }

  private void line(double x1, double y1, double x2, double y2, String color) {
    line(x1, y1, x2, y2, color, 1);
  }

  private void line(double x1, double y1, double x2, double y2, String color, int width) {
    svg.append("<line x1=\"")
        .append(fmt(x1))
        .append("\" y1=\"")
        .append(fmt(y1))
        .append("\" x2=\"")
        .append(fmt(x2))
        .append("\" y2=\"")
        .append(fmt(y2))
        .append("\" stroke=\"")
        .append(color)
        .append("\" stroke-width=\"")
        .append(width)
        .append("\"/>\n");
  }

  /** 1, 2 or 5 times a power of ten, giving about {@code ticks} steps over {@code range}. */
  static double niceStep(double range, int ticks) {
    double raw = range / ticks;
    double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    double residual = raw / magnitude;
    double nice = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10;
    return nice * magnitude;
  }

  /** A value rounded up to the next nice step, for axis maxima. */
  static double niceCeiling(double value) {
    if (value <= 0) {
      return 1;
    }
    double step = niceStep(value, 10);
    return Math.ceil(value / step) * step;
  }

  /** A tick label: no needless decimals. */
  static String number(double v) {
    if (Math.abs(v - Math.rint(v)) < 1e-9) {
      return Long.toString(Math.round(v));
    }
    String s = String.format(Locale.ROOT, "%.3f", v).replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<':
          out.append("&lt;");
          break;
        case '>':
          out.append("&gt;");
          break;
        case '&':
          out.append("&amp;");
          break;
        case '"':
          out.append("&quot;");
          break;
        default:
          out.append(c < 0x20 && c != '\t' ? ' ' : c);
      }
    }
    return out.toString();
  }
}
