package dev.knetty.bench.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.common.config.AggregationAlgorithm;
import dev.knetty.common.kmp.StatBatch;
import org.junit.jupiter.api.Test;

/** The benchmarks' operations do the work they claim, outside JMH (no timing). */
class HotPathBenchmarksTest {

  @Test
  void kmpEncodesASteadyStateBatchThatDecodesToTheSameStats() {
    KmpBenchmark b = new KmpBenchmark();
    b.stats = 100;
    b.setUp();
    try {
      int bytes = b.encode();
      // Steady state: ids instead of names, about 50 bytes per stat.
      assertThat(bytes).isBetween(100 * 6, 100 * 60);
      assertThat(b.encode()).isEqualTo(bytes);
      StatBatch decoded = (StatBatch) b.decode();
      assertThat(decoded.stats()).hasSize(100);
      assertThat(decoded.stats().get(99).revision().name()).isEqualTo("hello-99");
      assertThat(decoded.stats().get(0).requestCount()).isEqualTo(41.0);
      assertThat(((StatBatch) b.decode()).stats()).hasSize(100); // the frame is not consumed
    } finally {
      b.tearDown();
    }
  }

  @Test
  void deciderAggregatesAFullWindowAndDecides() {
    for (AggregationAlgorithm a : AggregationAlgorithm.values()) {
      DeciderBenchmark b = new DeciderBenchmark();
      b.aggregation = a;
      b.setUp();
      b.record();
      b.scale();
      // 10 pods at ~65 concurrent each against a target of 70: about 10 pods.
      assertThat(b.desiredScale()).as(a.name()).isBetween(8, 12);
    }
  }

  @Test
  void headerChecksSeeTheRoutingHeadersAndNoProbe() {
    KnativeHeadersBenchmark b = new KnativeHeadersBenchmark();
    b.setUp();
    assertThat(b.isKubeletProbe()).isFalse();
    assertThat(b.routingHeaders()).isEqualTo("hello-00001".length() + "default".length() + 2);
  }
}
