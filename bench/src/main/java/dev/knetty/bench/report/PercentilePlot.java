package dev.knetty.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Latency by percentile, the way HdrHistogram's plotter draws it: the x axis is {@code log10(1 / (1
 * - percentile))}, so 90%, 99%, 99.9%... are evenly spaced and the tail gets the room; the y axis
 * is latency in milliseconds. One curve per target, so a comparison is one picture.
 */
public final class PercentilePlot {

  /** Percentile steps per halving of the distance to 100% (as in HdrHistogram's output). */
  private static final int TICKS_PER_HALF_DISTANCE = 5;

  private PercentilePlot() {}

  /**
   * One curve.
   *
   * @param histogram latencies in microseconds
   */
  public record Curve(String label, Histogram histogram) {
    public Curve {
      Objects.requireNonNull(label, "label");
      Objects.requireNonNull(histogram, "histogram");
    }
  }

  /** The SVG document. */
  public static String svg(String title, List<Curve> curves) {
    List<List<double[]>> points = new ArrayList<>();
    double xMax = 2; // at least up to 99%
    double yMax = 0;
    for (Curve curve : curves) {
      List<double[]> p = points(curve.histogram());
      points.add(p);
      if (!p.isEmpty()) {
        xMax = Math.max(xMax, p.get(p.size() - 1)[0]);
        yMax = Math.max(yMax, curve.histogram().getMaxValue() / 1000.0);
      }
    }
    xMax = Math.ceil(xMax);
    SvgPlot plot = new SvgPlot(title, 0, xMax, 0, SvgPlot.niceCeiling(yMax));
    for (int decade = 0; decade <= xMax; decade++) {
      plot.xTick(decade, percentLabel(decade));
    }
    plot.niceYTicks();
    plot.axes("Percentile", "Latency (ms)");
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < curves.size(); i++) {
      Curve curve = curves.get(i);
      String label =
          curve.histogram().getTotalCount() == 0
              ? curve.label() + " (no successful requests)"
              : String.format(
                  Locale.ROOT,
                  "%s (p99 %.2f ms, max %.2f ms)",
                  curve.label(),
                  curve.histogram().getValueAtPercentile(99) / 1000.0,
                  curve.histogram().getMaxValue() / 1000.0);
      plot.series(i, curve.label(), points.get(i));
      labels.add(label);
    }
    plot.legend(labels);
    return plot.finish();
  }

  /** Writes {@link #svg} to {@code file}. */
  public static void write(Path file, String title, List<Curve> curves) throws IOException {
    Files.writeString(file, svg(title, curves), StandardCharsets.UTF_8);
  }

  /** (x, latency ms) for every percentile step below 100%, where x would be infinite. */
  private static List<double[]> points(Histogram histogram) {
    List<double[]> points = new ArrayList<>();
    if (histogram.getTotalCount() == 0) {
      return points;
    }
    for (HistogramIterationValue v : histogram.percentiles(TICKS_PER_HALF_DISTANCE)) {
      double fraction = v.getPercentileLevelIteratedTo() / 100.0;
      if (fraction >= 1.0) {
        break;
      }
      points.add(new double[] {Math.log10(1 / (1 - fraction)), v.getValueIteratedTo() / 1000.0});
    }
    if (points.isEmpty()) {
      points.add(new double[] {0, histogram.getMaxValue() / 1000.0});
    }
    return points;
  }

  /** 0 → "0%", 1 → "90%", 2 → "99%", 3 → "99.9%". */
  static String percentLabel(int decade) {
    if (decade == 0) {
      return "0%";
    }
    if (decade == 1) {
      return "90%";
    }
    return "99" + (decade > 2 ? "." + "9".repeat(decade - 2) : "") + "%";
  }
}
