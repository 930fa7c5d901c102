package dev.knetty.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrometheusScrapeTest {

  private final PrometheusScrape scrape =
      new PrometheusScrape(
          "# HELP jvm_memory_used_bytes used\n"
              + "# TYPE jvm_memory_used_bytes gauge\n"
              + "jvm_memory_used_bytes{area=\"heap\",id=\"G1 Eden Space\"} 1000.0\n"
              + "jvm_memory_used_bytes{area=\"heap\",id=\"G1 Old Gen\"} 24.0\n"
              + "jvm_memory_used_bytes{area=\"nonheap\",id=\"Metaspace\"} 5000.0\n"
              + "jvm_memory_used_bytes_total 7.0\n"
              + "knetty_activator_buffered_requests 10000.0\n");

  @Test
  void sumsTheSamplesOfOneMetricWithMatchingLabels() {
    assertThat(scrape.sum("jvm_memory_used_bytes", "area=\"heap\"")).isEqualTo(1024.0);
    assertThat(scrape.sum("jvm_memory_used_bytes", "")).isEqualTo(6024.0);
    assertThat(scrape.sum("knetty_activator_buffered_requests", "")).isEqualTo(10000.0);
  }

  @Test
  void anAbsentMetricIsNaN() {
    assertThat(scrape.sum("jvm_memory_used", "")).isNaN(); // a prefix of a name is not a name
    assertThat(scrape.sum("jvm_memory_used_bytes", "area=\"code\"")).isNaN();
  }
}
