package dev.knetty.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RevisionScalingTest {

  private static final String G = "autoscaling.knative.dev/";
  private static final AutoscalerConfig DEFAULTS = AutoscalerConfig.defaults();

  private static DeciderSpec derive(Map<String, String> anns, int cc) {
    return RevisionScaling.derive(DEFAULTS, RevisionAnnotations.parse(anns, DEFAULTS), cc, true)
        .decider();
  }

  @Test
  void defaults() {
    RevisionScaling s = RevisionScaling.defaults();
    DeciderSpec d = s.decider();
    assertThat(d.metric()).isEqualTo(ScalingMetric.CONCURRENCY);
    assertThat(d.targetValue()).isEqualTo(70);
    assertThat(d.totalValue()).isEqualTo(100);
    assertThat(d.panicThreshold()).isEqualTo(2.0);
    assertThat(d.stableWindow()).isEqualTo(Duration.ofSeconds(60));
    assertThat(d.panicWindow()).isEqualTo(Duration.ofSeconds(6));
    assertThat(d.targetBurstCapacity()).isEqualTo(211);
    assertThat(d.scaleDownDelay()).isEqualTo(Duration.ZERO);
    assertThat(d.activationScale()).isZero();
    assertThat(d.initialScale()).isEqualTo(1);
    assertThat(d.reachable()).isTrue();
    assertThat(d.activatorCapacity()).isEqualTo(100);
    assertThat(d.maxScaleUpRate()).isEqualTo(1000);
    assertThat(d.maxScaleDownRate()).isEqualTo(2);
    assertThat(d.aggregation()).isEqualTo(AggregationAlgorithm.LINEAR);
    assertThat(s.minScale()).isZero();
    assertThat(s.maxScale()).isZero();
    assertThat(s.enableScaleToZero()).isTrue();
    assertThat(s.scaleToZeroGracePeriod()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.scaleToZeroPodRetentionPeriod()).isEqualTo(Duration.ZERO);
    assertThat(s.progressDeadline()).isEqualTo(Duration.ofSeconds(600));
  }

  @ParameterizedTest(name = "{0} cc={1} -> target {2}, total {3}")
  @CsvSource(
      delimiter = '|',
      value = {
        // CC = 0: the config default 100 at 70 %.
        "| 0 | 70 | 100",
        // CC = 10: 70 % of 10.
        "| 10 | 7 | 10",
        // RPS: 200 at the fixed 70 %, whatever the CC.
        "metric=rps | 0 | 140 | 200",
        "metric=rps | 10 | 140 | 200",
        // A target annotation replaces the total; for concurrency it is capped by CC.
        "target=50 | 10 | 7 | 10",
        "target=5 | 10 | 3.5 | 5",
        "target=50 | 0 | 35 | 50",
        "metric=rps,target=300 | 10 | 210 | 300",
        // Utilization annotation.
        "target-utilization-percentage=50 | 0 | 50 | 100",
        "target-utilization-percentage=100,target=8 | 10 | 8 | 8",
        // Never below 0.01.
        "target=0.01,target-utilization-percentage=1 | 0 | 0.01 | 0.01",
      })
  void derivedTargets(String anns, int cc, double target, double total) {
    DeciderSpec d = derive(annotations(anns), cc);
    assertThat(d.targetValue()).isEqualTo(target);
    assertThat(d.totalValue()).isEqualTo(total);
  }

  @Test
  void configTargetsAreUsed() {
    AutoscalerConfig c =
        AutoscalerConfig.fromMap(
            Map.of(
                "container-concurrency-target-percentage", "50",
                "container-concurrency-target-default", "20",
                "requests-per-second-target-default", "10"));
    assertThat(
            RevisionScaling.derive(c, RevisionAnnotations.none(), 0, true).decider().targetValue())
        .isEqualTo(10);
    RevisionAnnotations rps = RevisionAnnotations.parse(Map.of(G + "metric", "rps"), c);
    assertThat(RevisionScaling.derive(c, rps, 0, true).decider().targetValue()).isEqualTo(7);
  }

  @ParameterizedTest(name = "window {0} at {1}% -> {2}")
  @CsvSource({
    "60s, 10, 6s",
    "7s, 10, 1s", // 0.7 s rounds to 1 s
    "15s, 10, 2s", // 1.5 s: halves round up
    "25s, 10, 3s",
    "24s, 10, 2s",
    "65s, 10, 7s",
    "6s, 1, 1s", // 0.06 s rounds to 0: at least one bucket
    "1h, 100, 1h",
    "10s, 33.3, 3s",
  })
  void panicWindowRounding(String window, String pct, String panic) {
    DeciderSpec d = derive(Map.of(G + "window", window, G + "panic-window-percentage", pct), 0);
    assertThat(d.panicWindow()).isEqualTo(GoDuration.parse(panic));
    assertThat(d.stableWindow()).isEqualTo(GoDuration.parse(window));
  }

  @Test
  void panicThresholdIsAFraction() {
    assertThat(derive(Map.of(G + "panic-threshold-percentage", "150"), 0).panicThreshold())
        .isEqualTo(1.5);
    AutoscalerConfig c = AutoscalerConfig.fromMap(Map.of("panic-threshold-percentage", "300"));
    assertThat(
            RevisionScaling.derive(c, RevisionAnnotations.none(), 0, true)
                .decider()
                .panicThreshold())
        .isEqualTo(3.0);
  }

  @Test
  void initialScale() {
    assertThat(derive(Map.of(G + "initial-scale", "3"), 0).initialScale()).isEqualTo(3);
    AutoscalerConfig allowZero =
        AutoscalerConfig.fromMap(Map.of("allow-zero-initial-scale", "true", "initial-scale", "2"));
    RevisionAnnotations zero =
        RevisionAnnotations.parse(Map.of(G + "initial-scale", "0"), allowZero);
    assertThat(RevisionScaling.derive(allowZero, zero, 0, true).decider().initialScale()).isZero();
    assertThat(
            RevisionScaling.derive(allowZero, RevisionAnnotations.none(), 0, true)
                .decider()
                .initialScale())
        .isEqualTo(2);
    // An annotated 0 the cluster no longer allows falls back to the config's initial scale.
    assertThat(RevisionScaling.derive(DEFAULTS, zero, 0, true).decider().initialScale())
        .isEqualTo(1);
  }

  @Test
  void annotationsOverrideConfig() {
    AutoscalerConfig c =
        AutoscalerConfig.fromMap(
            Map.of(
                "min-scale", "1",
                "max-scale", "9",
                "target-burst-capacity", "50",
                "scale-down-delay", "10s",
                "scale-to-zero-pod-retention-period", "20s"));
    RevisionScaling fromConfig = RevisionScaling.derive(c, RevisionAnnotations.none(), 0, false);
    assertThat(fromConfig.minScale()).isEqualTo(1);
    assertThat(fromConfig.maxScale()).isEqualTo(9);
    assertThat(fromConfig.decider().targetBurstCapacity()).isEqualTo(50);
    assertThat(fromConfig.decider().scaleDownDelay()).isEqualTo(Duration.ofSeconds(10));
    assertThat(fromConfig.scaleToZeroPodRetentionPeriod()).isEqualTo(Duration.ofSeconds(20));
    assertThat(fromConfig.decider().reachable()).isFalse();

    RevisionAnnotations anns =
        RevisionAnnotations.parse(
            annotations(
                "min-scale=2,max-scale=4,target-burst-capacity=-1,scale-down-delay=0s,"
                    + "scale-to-zero-pod-retention-period=5s,activation-scale=3,"
                    + "metric-aggregation-algorithm=weightedExponential"),
            c);
    RevisionScaling s = RevisionScaling.derive(c, anns, 0, true);
    assertThat(s.minScale()).isEqualTo(2);
    assertThat(s.maxScale()).isEqualTo(4);
    assertThat(s.decider().targetBurstCapacity()).isEqualTo(-1);
    assertThat(s.decider().scaleDownDelay()).isEqualTo(Duration.ZERO);
    assertThat(s.scaleToZeroPodRetentionPeriod()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.decider().activationScale()).isEqualTo(3);
    assertThat(s.decider().aggregation()).isEqualTo(AggregationAlgorithm.WEIGHTED_EXPONENTIAL);
  }

  @Test
  void onlyTheKpaClassIsRun() {
    RevisionAnnotations hpa =
        RevisionAnnotations.parse(Map.of(G + "class", "hpa.autoscaling.knative.dev"), DEFAULTS);
    assertThatThrownBy(() -> RevisionScaling.derive(DEFAULTS, hpa, 0, true))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(G + "class: hpa.autoscaling.knative.dev (expected: ");
    AutoscalerConfig hpaDefault =
        AutoscalerConfig.fromMap(Map.of("pod-autoscaler-class", "hpa.autoscaling.knative.dev"));
    assertThatThrownBy(
            () -> RevisionScaling.derive(hpaDefault, RevisionAnnotations.none(), 0, true))
        .isInstanceOf(ConfigException.class);
  }

  @Test
  void negativeContainerConcurrencyIsRejected() {
    assertThatThrownBy(() -> RevisionScaling.derive(DEFAULTS, RevisionAnnotations.none(), -1, true))
        .hasMessage("containerConcurrency: -1 (expected: >= 0)");
  }

  private static Map<String, String> annotations(String spec) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    if (spec == null || spec.isBlank()) {
      return m;
    }
    for (String kv : spec.split(",")) {
      String[] p = kv.split("=", 2);
      m.put(G + p[0].trim(), p[1].trim());
    }
    return m;
  }
}
