package dev.knetty.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Values over time, several series in one picture (e.g. pods and requests per second during a
 * ramp).
 */
public final class TimeSeriesPlot {

  private TimeSeriesPlot() {}

  /** One value at {@code seconds} since the start. */
  public record Point(double seconds, double value) {}

  /** A named line. */
  public record Series(String label, List<Point> points) {
    public Series {
      Objects.requireNonNull(label, "label");
      points = List.copyOf(points);
    }
  }

  /** The SVG document; the y axis starts at 0 unless a value is negative. */
  public static String svg(String title, String yLabel, List<Series> series) {
    double xMin = Double.POSITIVE_INFINITY;
    double xMax = Double.NEGATIVE_INFINITY;
    double yMin = 0;
    double yMax = 0;
    for (Series s : series) {
      for (Point p : s.points()) {
        xMin = Math.min(xMin, p.seconds());
        xMax = Math.max(xMax, p.seconds());
        yMin = Math.min(yMin, p.value());
        yMax = Math.max(yMax, p.value());
      }
    }
    if (xMin > xMax) {
      xMin = 0;
      xMax = 1;
    }
    SvgPlot plot =
        new SvgPlot(
            title,
            xMin,
            xMax,
            yMin < 0 ? -SvgPlot.niceCeiling(-yMin) : 0,
            SvgPlot.niceCeiling(yMax));
    plot.niceXTicks();
    plot.niceYTicks();
    plot.axes("Time (s)", yLabel);
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < series.size(); i++) {
      Series s = series.get(i);
      List<double[]> points = new ArrayList<>();
      for (Point p : s.points()) {
        points.add(new double[] {p.seconds(), p.value()});
      }
      plot.series(i, s.label(), points);
      labels.add(s.label());
    }
    plot.legend(labels);
    return plot.finish();
  }

  /** Writes {@link #svg} to {@code file}. */
  public static void write(Path file, String title, String yLabel, List<Series> series)
      throws IOException {
    Files.writeString(file, svg(title, yLabel, series), StandardCharsets.UTF_8);
  }
}
