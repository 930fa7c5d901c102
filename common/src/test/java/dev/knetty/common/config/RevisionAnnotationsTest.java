package dev.knetty.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RevisionAnnotationsTest {

  private static final String G = "autoscaling.knative.dev/";
  private static final AutoscalerConfig DEFAULTS = AutoscalerConfig.defaults();

  private static RevisionAnnotations parse(Map<String, String> anns) {
    return RevisionAnnotations.parse(anns, DEFAULTS);
  }

  @Test
  void noneIsEmpty() {
    RevisionAnnotations a = RevisionAnnotations.none();
    assertThat(a.autoscalerClass()).isEmpty();
    assertThat(a.target()).isEmpty();
    assertThat(a.minScale()).isEmpty();
    assertThat(a.window()).isEmpty();
    assertThat(parse(Map.of("unrelated/key", "x"))).isEqualTo(a);
  }

  @ParameterizedTest(name = "{0}={1} -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "class | kpa.autoscaling.knative.dev | ok",
        "class | hpa.autoscaling.knative.dev | ok",
        "class | custom.example.com | ok",
        "class | foo.knative.dev | kpa.autoscaling.knative.dev or hpa.autoscaling.knative.dev",
        "metric | concurrency | ok",
        "metric | rps | ok",
        "metric | cpu | concurrency or rps",
        "target | 0.01 | ok",
        "target | 0.009 | >= 0.01",
        "target | x | a finite decimal number, >= 0.01",
        "target-utilization-percentage | 1 | ok",
        "target-utilization-percentage | 100 | ok",
        "target-utilization-percentage | 0.9 | between 1 and 100",
        "target-utilization-percentage | 100.5 | between 1 and 100",
        "targetUtilizationPercentage | 101 | between 1 and 100",
        "target-burst-capacity | 0 | ok",
        "target-burst-capacity | -1 | ok",
        "target-burst-capacity | -1.5 | >= 0, or -1 for unlimited",
        "targetBurstCapacity | abc | >= 0, or -1 for unlimited",
        "window | 6s | ok",
        "window | 1h | ok",
        "window | 5s | between 6s and 1h, whole seconds",
        "window | 61m | between 6s and 1h, whole seconds",
        "window | 6500ms | between 6s and 1h, whole seconds",
        "window | 60 | a duration like 60s, between 6s and 1h, whole seconds",
        "panic-window-percentage | 1 | ok",
        "panic-window-percentage | 100 | ok",
        "panic-window-percentage | 0.5 | between 1 and 100",
        "panicWindowPercentage | 101 | between 1 and 100",
        "panic-threshold-percentage | 110 | ok",
        "panic-threshold-percentage | 1000 | ok",
        "panic-threshold-percentage | 109.9 | between 110 and 1000",
        "panicThresholdPercentage | 1001 | between 110 and 1000",
        "min-scale | 0 | ok",
        "min-scale | -1 | an integer between 0 and 2147483647",
        "minScale | 2147483648 | an integer between 0 and 2147483647",
        "max-scale | 0 | ok",
        "maxScale | 3 | ok",
        "max-scale | 1.5 | an integer between 0 and 2147483647",
        "initial-scale | 1 | ok",
        "initial-scale | 0 | >= 1 (allow-zero-initial-scale is false)",
        "initialScale | -1 | an integer between 0 and 2147483647",
        "activation-scale | 2 | ok",
        "activation-scale | 1 | >= 2",
        "activation-scale | two | an integer",
        "scale-down-delay | 0s | ok",
        "scale-down-delay | 1h | ok",
        "scale-down-delay | -1s | 0s to 1h, whole seconds",
        "scaleDownDelay | 1h0m1s | 0s to 1h, whole seconds",
        "scale-down-delay | 1.5s | 0s to 1h, whole seconds",
        "scale-to-zero-pod-retention-period | 0s | ok",
        "scale-to-zero-pod-retention-period | 1.5s | ok",
        "scale-to-zero-pod-retention-period | 1h | ok",
        "scaleToZeroPodRetentionPeriod | 61m | 0s to 1h",
        "scale-to-zero-pod-retention-period | -1s | 0s to 1h",
      })
  void rangeOfEachAnnotation(String name, String value, String expected) {
    Map<String, String> anns = Map.of(G + name, value);
    if (expected.equals("ok")) {
      assertThat(parse(anns)).isNotNull();
    } else {
      assertThatThrownBy(() -> parse(anns))
          .isInstanceOf(ConfigException.class)
          .hasMessage(G + name + ": " + value + " (expected: " + expected + ")");
    }
  }

  @Test
  void parsesValues() {
    Map<String, String> anns = new LinkedHashMap<>();
    anns.put(G + "class", "kpa.autoscaling.knative.dev");
    anns.put(G + "metric", "rps");
    anns.put(G + "target", "150");
    anns.put(G + "target-utilization-percentage", "80");
    anns.put(G + "target-burst-capacity", "-1");
    anns.put(G + "window", "2m");
    anns.put(G + "panic-window-percentage", "20");
    anns.put(G + "panic-threshold-percentage", "150");
    anns.put(G + "min-scale", "1");
    anns.put(G + "max-scale", "10");
    anns.put(G + "initial-scale", "3");
    anns.put(G + "activation-scale", "2");
    anns.put(G + "scale-down-delay", "30s");
    anns.put(G + "scale-to-zero-pod-retention-period", "90s");
    anns.put(G + "metric-aggregation-algorithm", "weightedExponential");
    anns.put("serving.knative.dev/progress-deadline", "120s");
    RevisionAnnotations a = parse(anns);
    assertThat(a.autoscalerClass()).contains("kpa.autoscaling.knative.dev");
    assertThat(a.metric()).contains("rps");
    assertThat(a.target()).hasValue(150);
    assertThat(a.targetUtilizationPercentage()).hasValue(80);
    assertThat(a.targetBurstCapacity()).hasValue(-1);
    assertThat(a.window()).contains(Duration.ofMinutes(2));
    assertThat(a.panicWindowPercentage()).hasValue(20);
    assertThat(a.panicThresholdPercentage()).hasValue(150);
    assertThat(a.minScale()).hasValue(1);
    assertThat(a.maxScale()).hasValue(10);
    assertThat(a.initialScale()).hasValue(3);
    assertThat(a.activationScale()).hasValue(2);
    assertThat(a.scaleDownDelay()).contains(Duration.ofSeconds(30));
    assertThat(a.scaleToZeroPodRetentionPeriod()).contains(Duration.ofSeconds(90));
    assertThat(a.metricAggregationAlgorithm()).contains("weighted-exponential");
    assertThat(a.progressDeadline()).contains(Duration.ofSeconds(120));
  }

  @Test
  void kebabCaseWinsOverAlias() {
    Map<String, String> anns = new LinkedHashMap<>();
    anns.put(G + "minScale", "5");
    anns.put(G + "min-scale", "2");
    anns.put(G + "maxScale", "7");
    anns.put(G + "targetBurstCapacity", "10");
    anns.put(G + "target-burst-capacity", "20");
    anns.put(G + "initialScale", "4");
    anns.put(G + "panicWindowPercentage", "50");
    anns.put(G + "scaleDownDelay", "5s");
    anns.put(G + "scaleToZeroPodRetentionPeriod", "7s");
    anns.put(G + "metricAggregationAlgorithm", "linear");
    anns.put(G + "targetUtilizationPercentage", "60");
    anns.put(G + "panicThresholdPercentage", "300");
    RevisionAnnotations a = parse(anns);
    assertThat(a.minScale()).hasValue(2);
    assertThat(a.maxScale()).hasValue(7); // alias alone still counts
    assertThat(a.targetBurstCapacity()).hasValue(20);
    assertThat(a.initialScale()).hasValue(4);
    assertThat(a.panicWindowPercentage()).hasValue(50);
    assertThat(a.scaleDownDelay()).contains(Duration.ofSeconds(5));
    assertThat(a.scaleToZeroPodRetentionPeriod()).contains(Duration.ofSeconds(7));
    assertThat(a.metricAggregationAlgorithm()).contains("linear");
    assertThat(a.targetUtilizationPercentage()).hasValue(60);
    assertThat(a.panicThresholdPercentage()).hasValue(300);
  }

  @Test
  void aliasIsValidatedWhenItIsTheOneUsed() {
    // The kebab-case key is valid and wins, so the bad alias is never looked at.
    assertThat(parse(Map.of(G + "min-scale", "1", G + "minScale", "-5")).minScale()).hasValue(1);
    assertThatThrownBy(() -> parse(Map.of(G + "minScale", "-5")))
        .hasMessage(G + "minScale: -5 (expected: an integer between 0 and 2147483647)");
  }

  @Test
  void maxScaleMustNotBeBelowMinScale() {
    assertThat(parse(Map.of(G + "min-scale", "3", G + "max-scale", "3")).maxScale()).hasValue(3);
    assertThat(parse(Map.of(G + "min-scale", "3", G + "max-scale", "0")).maxScale()).hasValue(0);
    assertThatThrownBy(() -> parse(Map.of(G + "min-scale", "4", G + "max-scale", "3")))
        .hasMessage(G + "max-scale: 3 (expected: >= min-scale (4))");
  }

  @Test
  void maxScaleLimit() {
    AutoscalerConfig limited =
        AutoscalerConfig.fromMap(Map.of("max-scale-limit", "10", "max-scale", "5"));
    assertThat(RevisionAnnotations.parse(Map.of(G + "max-scale", "10"), limited).maxScale())
        .hasValue(10);
    assertThatThrownBy(() -> RevisionAnnotations.parse(Map.of(G + "max-scale", "11"), limited))
        .hasMessage(G + "max-scale: 11 (expected: between 1 and max-scale-limit (10))");
    assertThatThrownBy(() -> RevisionAnnotations.parse(Map.of(G + "max-scale", "0"), limited))
        .hasMessage(G + "max-scale: 0 (expected: between 1 and max-scale-limit (10))");
    // Without the annotation the config's max-scale applies; nothing to check here.
    assertThat(RevisionAnnotations.parse(Map.of(), limited).maxScale()).isEmpty();
  }

  @Test
  void activationScaleBetweenMinAndMax() {
    assertThat(
            parse(Map.of(G + "min-scale", "2", G + "max-scale", "5", G + "activation-scale", "5"))
                .activationScale())
        .hasValue(5);
    assertThatThrownBy(() -> parse(Map.of(G + "min-scale", "3", G + "activation-scale", "2")))
        .hasMessage(G + "activation-scale: 2 (expected: >= min-scale (3))");
    assertThatThrownBy(() -> parse(Map.of(G + "max-scale", "3", G + "activation-scale", "4")))
        .hasMessage(G + "activation-scale: 4 (expected: <= max-scale (3))");
    // max-scale 0 is unbounded.
    assertThat(parse(Map.of(G + "max-scale", "0", G + "activation-scale", "40")).activationScale())
        .hasValue(40);
  }

  @Test
  void zeroInitialScaleWhenTheClusterAllowsIt() {
    AutoscalerConfig allow = AutoscalerConfig.fromMap(Map.of("allow-zero-initial-scale", "true"));
    assertThat(RevisionAnnotations.parse(Map.of(G + "initial-scale", "0"), allow).initialScale())
        .hasValue(0);
  }

  @Test
  void metricIsCheckedAgainstTheClass() {
    assertThat(
            parse(Map.of(G + "class", "hpa.autoscaling.knative.dev", G + "metric", "cpu")).metric())
        .contains("cpu");
    assertThatThrownBy(
            () -> parse(Map.of(G + "class", "hpa.autoscaling.knative.dev", G + "metric", "")))
        .hasMessage(G + "metric:  (expected: a metric name)");
    // Other classes are left alone.
    assertThat(parse(Map.of(G + "class", "custom.example.com", G + "metric", "x")).metric())
        .contains("x");
    assertThatThrownBy(
            () -> parse(Map.of(G + "class", "kpa.autoscaling.knative.dev", G + "metric", "cpu")))
        .hasMessage(G + "metric: cpu (expected: concurrency or rps)");
  }

  @Test
  void algorithmIsCheckedOnlyForAnExplicitKpaClass() {
    assertThatThrownBy(
            () ->
                parse(
                    Map.of(
                        G + "class", "kpa.autoscaling.knative.dev",
                        G + "metric-aggregation-algorithm", "median")))
        .hasMessage(
            G + "metric-aggregation-algorithm: median (expected: linear or weighted-exponential)");
    assertThat(
            parse(Map.of(G + "metric-aggregation-algorithm", "median"))
                .metricAggregationAlgorithm())
        .contains("median");
    assertThat(
            parse(
                    Map.of(
                        G + "class", "kpa.autoscaling.knative.dev",
                        G + "metricAggregationAlgorithm", "weighted-exponential"))
                .metricAggregationAlgorithm())
        .contains("weighted-exponential");
  }

  @Test
  void progressDeadline() {
    String pd = "serving.knative.dev/progress-deadline";
    assertThatThrownBy(() -> parse(Map.of(pd, "0s")))
        .hasMessage(pd + ": 0s (expected: > 0s, whole seconds)");
    assertThatThrownBy(() -> parse(Map.of(pd, "1.5s")))
        .hasMessage(pd + ": 1.5s (expected: > 0s, whole seconds)");
    assertThatThrownBy(() -> parse(Map.of(pd, "soon")))
        .hasMessage(pd + ": soon (expected: a duration like 600s)");
  }

  @Test
  void everyProblemIsReportedAsTheWebhookDoes() {
    Map<String, String> anns = new LinkedHashMap<>();
    anns.put(G + "window", "1s");
    anns.put(G + "target", "0");
    assertThatThrownBy(() -> parse(anns))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            G
                + "target: 0 (expected: >= 0.01); "
                + G
                + "window: 1s (expected: between 6s and 1h, whole seconds)")
        .extracting(e -> ((ConfigException) e).key())
        .isEqualTo(G + "target");
  }

  @Test
  void unknownKeysOfTheDomainAreReported() {
    Map<String, String> anns = new LinkedHashMap<>();
    anns.put(G + "min-scale", "1");
    anns.put(G + "minscale", "1");
    anns.put(G + "stable-window", "60s");
    anns.put("other.dev/x", "y");
    assertThat(RevisionAnnotations.unknownKeys(anns))
        .containsExactly(G + "minscale", G + "stable-window");
  }
}
