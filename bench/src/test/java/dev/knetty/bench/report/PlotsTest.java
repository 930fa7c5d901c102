package dev.knetty.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class PlotsTest {

  private static Document parse(String svg) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    return factory
        .newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
  }

  private static List<Element> curves(Document doc) {
    List<Element> curves = new ArrayList<>();
    NodeList paths = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "path");
    for (int i = 0; i < paths.getLength(); i++) {
      Element path = (Element) paths.item(i);
      if ("curve".equals(path.getAttribute("class"))) {
        curves.add(path);
      }
    }
    return curves;
  }

  private static String texts(Document doc) {
    StringBuilder all = new StringBuilder();
    NodeList texts = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "text");
    for (int i = 0; i < texts.getLength(); i++) {
      all.append(texts.item(i).getTextContent()).append('\n');
    }
    return all.toString();
  }

  private static Histogram latencies(long fromMicros, long toMicros) {
    Histogram h = new Histogram(3_600_000_000L, 3);
    for (long v = fromMicros; v <= toMicros; v += (toMicros - fromMicros) / 1000 + 1) {
      h.recordValue(v);
    }
    return h;
  }

  @Test
  void percentilePlotHasOneCurvePerTargetWithLabelsAndAxes() throws Exception {
    String svg =
        PercentilePlot.svg(
            "direct vs <queue-proxy> & \"activator\"",
            List.of(
                new PercentilePlot.Curve("direct", latencies(100_000, 105_000)),
                new PercentilePlot.Curve("queue-proxy <qp>", latencies(100_000, 130_000)),
                new PercentilePlot.Curve("down", new Histogram(3))));
    Document doc = parse(svg);
    List<Element> curves = curves(doc);
    assertThat(curves).hasSize(3);
    assertThat(curves.get(0).getAttribute("data-label")).isEqualTo("direct");
    assertThat(curves.get(1).getAttribute("data-label")).isEqualTo("queue-proxy <qp>");
    // A curve of many percentile points; the empty histogram draws nothing.
    assertThat(curves.get(0).getAttribute("d").split("L")).hasSizeGreaterThan(10);
    assertThat(curves.get(2).getAttribute("d")).isEmpty();
    String text = texts(doc);
    assertThat(text)
        .contains("direct vs <queue-proxy> & \"activator\"")
        .contains("Percentile")
        .contains("Latency (ms)")
        .contains("90%")
        .contains("99%")
        .contains("99.9%")
        .contains("direct (p99 ")
        .contains("down (no successful requests)");
  }

  @Test
  void percentileLabelsFollowTheLogAxis() {
    assertThat(PercentilePlot.percentLabel(0)).isEqualTo("0%");
    assertThat(PercentilePlot.percentLabel(1)).isEqualTo("90%");
    assertThat(PercentilePlot.percentLabel(2)).isEqualTo("99%");
    assertThat(PercentilePlot.percentLabel(4)).isEqualTo("99.99%");
  }

  @Test
  void timeSeriesPlotDrawsEverySeries() throws Exception {
    String svg =
        TimeSeriesPlot.svg(
            "ramp",
            "Pods",
            List.of(
                new TimeSeriesPlot.Series(
                    "ready",
                    List.of(
                        new TimeSeriesPlot.Point(0, 0),
                        new TimeSeriesPlot.Point(1.5, 2),
                        new TimeSeriesPlot.Point(3, 5))),
                new TimeSeriesPlot.Series("desired", List.of(new TimeSeriesPlot.Point(2, 6)))));
    Document doc = parse(svg);
    assertThat(curves(doc))
        .extracting(e -> e.getAttribute("data-label"))
        .containsExactly("ready", "desired");
    assertThat(doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "circle").getLength())
        .as("a one-point series is a dot")
        .isEqualTo(1);
    assertThat(texts(doc)).contains("ramp").contains("Time (s)").contains("Pods");
  }

  @Test
  void niceSteps() {
    assertThat(SvgPlot.niceStep(10, 5)).isEqualTo(2);
    assertThat(SvgPlot.niceStep(7, 6)).isEqualTo(2);
    assertThat(SvgPlot.niceStep(0.9, 6))
        .isEqualTo(0.2, org.assertj.core.api.Assertions.within(1e-12));
    assertThat(SvgPlot.niceCeiling(103)).isEqualTo(120);
    assertThat(SvgPlot.niceCeiling(0)).isEqualTo(1);
  }
}
