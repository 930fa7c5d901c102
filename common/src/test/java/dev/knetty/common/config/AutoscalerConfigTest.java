package dev.knetty.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AutoscalerConfigTest {

  @TempDir Path dir;

  @Test
  void defaultsAreKnatives() {
    AutoscalerConfig c = AutoscalerConfig.defaults();
    assertThat(c.enableScaleToZero()).isTrue();
    assertThat(c.containerConcurrencyTargetFraction()).isEqualTo(0.7);
    assertThat(c.containerConcurrencyTargetDefault()).isEqualTo(100);
    assertThat(c.requestsPerSecondTargetDefault()).isEqualTo(200);
    assertThat(c.targetBurstCapacity()).isEqualTo(211);
    assertThat(c.stableWindow()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.panicWindowPercentage()).isEqualTo(10);
    assertThat(c.panicThresholdPercentage()).isEqualTo(200);
    assertThat(c.maxScaleUpRate()).isEqualTo(1000);
    assertThat(c.maxScaleDownRate()).isEqualTo(2);
    assertThat(c.activatorCapacity()).isEqualTo(100);
    assertThat(c.scaleToZeroGracePeriod()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.scaleToZeroPodRetentionPeriod()).isEqualTo(Duration.ZERO);
    assertThat(c.scaleDownDelay()).isEqualTo(Duration.ZERO);
    assertThat(c.initialScale()).isEqualTo(1);
    assertThat(c.allowZeroInitialScale()).isFalse();
    assertThat(c.minScale()).isZero();
    assertThat(c.maxScale()).isZero();
    assertThat(c.maxScaleLimit()).isZero();
    assertThat(c.podAutoscalerClass()).isEqualTo("kpa.autoscaling.knative.dev");
    assertThat(AutoscalerConfig.fromMap(Map.of())).isEqualTo(c);
  }

  @ParameterizedTest(name = "{0}: {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "enable-scale-to-zero | false | ok",
        "enable-scale-to-zero | 0 | ok",
        "enable-scale-to-zero | yes | true or false",
        "allow-zero-initial-scale | True | ok",
        "allow-zero-initial-scale | maybe | true or false",
        "container-concurrency-target-percentage | 100 | ok",
        "container-concurrency-target-percentage | 1 | ok",
        "container-concurrency-target-percentage | 0.5 | ok",
        "container-concurrency-target-percentage | 1.001 | ok",
        "container-concurrency-target-percentage | 100.1 | a percentage in (1, 100] or a fraction in (0, 1]",
        "container-concurrency-target-percentage | 0 | a percentage in (1, 100] or a fraction in (0, 1]",
        "container-concurrency-target-percentage | -5 | a percentage in (1, 100] or a fraction in (0, 1]",
        "container-concurrency-target-percentage | 70% | a finite decimal number",
        "container-concurrency-target-default | 0.0143 | ok",
        "container-concurrency-target-default | 0.014 | a target concurrency (default x target percentage) >= 0.01, got 0.0098",
        "container-concurrency-target-default | many | a finite decimal number",
        "requests-per-second-target-default | 0.01 | ok",
        "requests-per-second-target-default | 0.009 | >= 0.01",
        "requests-per-second-target-default | NaN | a finite decimal number",
        "target-burst-capacity | 0 | ok",
        "target-burst-capacity | -1 | ok",
        "target-burst-capacity | 0.5 | ok",
        "target-burst-capacity | -0.5 | >= 0, or -1 for unlimited",
        "target-burst-capacity | -2 | >= 0, or -1 for unlimited",
        "target-burst-capacity | lots | a finite decimal number",
        "stable-window | 6s | ok",
        "stable-window | 1h | ok",
        "stable-window | 3600s | ok",
        "stable-window | 5s | between 6s and 1h, whole seconds",
        "stable-window | 5999ms | between 6s and 1h, whole seconds",
        "stable-window | 1h0m1s | between 6s and 1h, whole seconds",
        "stable-window | 6500ms | between 6s and 1h, whole seconds",
        "stable-window | 60 | a duration like 60s, 1m30s or 500ms",
        "panic-window-percentage | 1 | ok",
        "panic-window-percentage | 100 | ok",
        "panic-window-percentage | 0.99 | between 1 and 100",
        "panic-window-percentage | 100.01 | between 1 and 100",
        "panic-window-percentage | ten | a finite decimal number",
        "panic-threshold-percentage | 0 | ok",
        "panic-threshold-percentage | -5 | ok",
        "panic-threshold-percentage | 5000 | ok",
        "panic-threshold-percentage | x | a finite decimal number",
        "max-scale-up-rate | 1.001 | ok",
        "max-scale-up-rate | 1 | > 1",
        "max-scale-up-rate | 0 | > 1",
        "max-scale-up-rate | fast | a finite decimal number",
        "max-scale-down-rate | 1.001 | ok",
        "max-scale-down-rate | 1 | > 1",
        "max-scale-down-rate | slow | a finite decimal number",
        "activator-capacity | 1 | ok",
        "activator-capacity | 0.99 | >= 1",
        "activator-capacity | big | a finite decimal number",
        "scale-to-zero-grace-period | 1ns | ok",
        "scale-to-zero-grace-period | 0s | > 0s",
        "scale-to-zero-grace-period | -1s | > 0s",
        "scale-to-zero-grace-period | 30 | a duration like 60s, 1m30s or 500ms",
        "scale-to-zero-pod-retention-period | 0s | ok",
        "scale-to-zero-pod-retention-period | 1.5s | ok",
        "scale-to-zero-pod-retention-period | 2h | ok",
        "scale-to-zero-pod-retention-period | -1ns | >= 0s",
        "scale-to-zero-pod-retention-period | forever | a duration like 60s, 1m30s or 500ms",
        "scale-down-delay | 0s | ok",
        "scale-down-delay | 2h | ok",
        "scale-down-delay | -1s | >= 0s, whole seconds",
        "scale-down-delay | 1500ms | >= 0s, whole seconds",
        "scale-down-delay | 1d | a duration like 60s, 1m30s or 500ms",
        "initial-scale | 1 | ok",
        "initial-scale | 0 | >= 1, or >= 0 when allow-zero-initial-scale is true",
        "initial-scale | -1 | >= 1, or >= 0 when allow-zero-initial-scale is true",
        "initial-scale | 1.5 | an integer between -2147483648 and 2147483647",
        "initial-scale | 2147483648 | an integer between -2147483648 and 2147483647",
        "min-scale | 0 | ok",
        "min-scale | 7 | ok",
        "min-scale | -1 | >= 0",
        "min-scale | one | an integer between -2147483648 and 2147483647",
        "max-scale | 0 | ok",
        "max-scale | 5 | ok",
        "max-scale | -1 | >= 0 (0: unbounded)",
        "max-scale | 5.0 | an integer between -2147483648 and 2147483647",
        "max-scale-limit | 0 | ok",
        "max-scale-limit | -1 | >= 0",
        "max-scale-limit | none | an integer between -2147483648 and 2147483647",
        "pod-autoscaler-class | hpa.autoscaling.knative.dev | ok",
      })
  void boundsOfEachKey(String key, String value, String expected) {
    Map<String, String> data = Map.of(key, value);
    if (expected.equals("ok")) {
      assertThat(AutoscalerConfig.fromMap(data)).isNotNull();
    } else {
      assertThatThrownBy(() -> AutoscalerConfig.fromMap(data))
          .isInstanceOf(ConfigException.class)
          .hasMessage(key + ": " + value + " (expected: " + expected + ")")
          .satisfies(
              e -> {
                ConfigException ce = (ConfigException) e;
                assertThat(ce.key()).isEqualTo(key);
                assertThat(ce.value()).isEqualTo(value);
                assertThat(ce.expected()).isEqualTo(expected);
              });
    }
  }

  @Test
  void messageOfTheBrief() {
    assertThatThrownBy(() -> AutoscalerConfig.fromMap(Map.of("stable-window", "5s")))
        .hasMessage("stable-window: 5s (expected: between 6s and 1h, whole seconds)");
  }

  @ParameterizedTest
  @CsvSource({"70, 0.7", "100, 1", "1, 1", "0.5, 0.5", "50, 0.5", "1.5, 0.015", "0.01, 0.01"})
  void percentagesAboveOneAreDividedByHundred(String value, double fraction) {
    assertThat(
            AutoscalerConfig.fromMap(Map.of("container-concurrency-target-percentage", value))
                .containerConcurrencyTargetFraction())
        .isEqualTo(fraction);
  }

  @Test
  void targetConcurrencyUsesBothKeys() {
    // 50% of 0.03 is 0.015: fine; 10% of 0.05 is 0.005: too small.
    assertThat(
            AutoscalerConfig.fromMap(
                Map.of(
                    "container-concurrency-target-percentage", "50",
                    "container-concurrency-target-default", "0.03")))
        .isNotNull();
    assertThatThrownBy(
            () ->
                AutoscalerConfig.fromMap(
                    Map.of(
                        "container-concurrency-target-percentage", "10",
                        "container-concurrency-target-default", "0.05")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("container-concurrency-target-default: 0.05 (expected: ");
  }

  @Test
  void zeroInitialScaleNeedsTheFlag() {
    AutoscalerConfig c =
        AutoscalerConfig.fromMap(Map.of("initial-scale", "0", "allow-zero-initial-scale", "true"));
    assertThat(c.initialScale()).isZero();
  }

  @Test
  void maxScaleWithinLimit() {
    assertThat(
            AutoscalerConfig.fromMap(Map.of("max-scale-limit", "10", "max-scale", "10")).maxScale())
        .isEqualTo(10);
    assertThatThrownBy(
            () -> AutoscalerConfig.fromMap(Map.of("max-scale-limit", "10", "max-scale", "11")))
        .hasMessage("max-scale: 11 (expected: between 1 and max-scale-limit (10))");
    // A limit requires a bounded default.
    assertThatThrownBy(() -> AutoscalerConfig.fromMap(Map.of("max-scale-limit", "10")))
        .hasMessage("max-scale: 0 (expected: between 1 and max-scale-limit (10))");
  }

  @Test
  void minScaleWithinMaxScale() {
    assertThat(AutoscalerConfig.fromMap(Map.of("max-scale", "3", "min-scale", "3")).minScale())
        .isEqualTo(3);
    assertThatThrownBy(() -> AutoscalerConfig.fromMap(Map.of("max-scale", "3", "min-scale", "4")))
        .hasMessage("min-scale: 4 (expected: between 0 and max-scale (3))");
  }

  @Test
  void firstUnparsableKeyInKnativesOrderIsReported() {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("stable-window", "x");
    data.put("max-scale-up-rate", "y");
    assertThatThrownBy(() -> AutoscalerConfig.fromMap(data))
        .isInstanceOf(ConfigException.class)
        .extracting(e -> ((ConfigException) e).key())
        .isEqualTo("max-scale-up-rate");
  }

  @Test
  void unknownKeysAreIgnoredButReported() {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("_example", "docs");
    data.put("stable-window", "30s");
    data.put("tick-interval", "2s");
    assertThat(AutoscalerConfig.fromMap(data).stableWindow()).isEqualTo(Duration.ofSeconds(30));
    assertThat(AutoscalerConfig.unknownKeys(data)).containsExactly("_example", "tick-interval");
  }

  @Test
  void programmaticConstructionIsValidatedToo() {
    assertThatThrownBy(
            () ->
                new AutoscalerConfig(
                    true,
                    0.7,
                    100,
                    200,
                    211,
                    Duration.ofSeconds(5),
                    10,
                    200,
                    1000,
                    2,
                    100,
                    Duration.ofSeconds(30),
                    Duration.ZERO,
                    Duration.ZERO,
                    1,
                    false,
                    0,
                    0,
                    0,
                    AutoscalerConfig.KPA_CLASS))
        .hasMessage("stable-window: 5s (expected: between 6s and 1h, whole seconds)");
    assertThatThrownBy(
            () ->
                new AutoscalerConfig(
                    true,
                    0.7,
                    100,
                    200,
                    211,
                    Duration.ofSeconds(60),
                    10,
                    200,
                    Double.NaN,
                    2,
                    100,
                    Duration.ofSeconds(30),
                    Duration.ZERO,
                    Duration.ZERO,
                    1,
                    false,
                    0,
                    0,
                    0,
                    AutoscalerConfig.KPA_CLASS))
        .hasMessage("max-scale-up-rate: NaN (expected: a finite number)");
  }

  @Test
  void loadsFlatYaml() throws IOException {
    Path f =
        write(
            "as.yaml",
            "stable-window: 30s\n"
                + "max-scale: 5\n"
                + "enable-scale-to-zero: false\n"
                + "container-concurrency-target-percentage: 80\n");
    AutoscalerConfig c = AutoscalerConfig.fromFile(f);
    assertThat(c.stableWindow()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.maxScale()).isEqualTo(5);
    assertThat(c.enableScaleToZero()).isFalse();
    assertThat(c.containerConcurrencyTargetFraction()).isEqualTo(0.8);
  }

  @Test
  void loadsConfigMapManifest() throws IOException {
    Path f =
        write(
            "cm.yaml",
            "apiVersion: v1\n"
                + "kind: ConfigMap\n"
                + "metadata:\n"
                + "  name: config-autoscaler\n"
                + "  namespace: knative-serving\n"
                + "data:\n"
                + "  _example: |\n"
                + "    a long comment\n"
                + "  scale-to-zero-grace-period: \"45s\"\n"
                + "  target-burst-capacity: \"-1\"\n");
    AutoscalerConfig c = AutoscalerConfig.fromFile(f);
    assertThat(c.scaleToZeroGracePeriod()).isEqualTo(Duration.ofSeconds(45));
    assertThat(c.targetBurstCapacity()).isEqualTo(-1);
    assertThat(AutoscalerConfig.unknownKeys(ConfigMaps.load(f))).containsExactly("_example");
  }

  @Test
  void loadsProperties() throws IOException {
    Path f = write("as.properties", "stable-window=2m\nactivator-capacity=50\n");
    AutoscalerConfig c = AutoscalerConfig.fromFile(f);
    assertThat(c.stableWindow()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.activatorCapacity()).isEqualTo(50);
  }

  @Test
  void emptyFileMeansDefaults() throws IOException {
    assertThat(AutoscalerConfig.fromFile(write("empty.yaml", "")))
        .isEqualTo(AutoscalerConfig.defaults());
  }

  @Test
  void fileErrorsNameTheValue() throws IOException {
    Path f = write("bad.yaml", "stable-window: 5s\n");
    assertThatThrownBy(() -> AutoscalerConfig.fromFile(f))
        .hasMessage("stable-window: 5s (expected: between 6s and 1h, whole seconds)");
    Path nested = write("nested.yaml", "stable-window:\n  a: b\n");
    assertThatThrownBy(() -> AutoscalerConfig.fromFile(nested))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("expected: a scalar value");
    Path list = write("list.yaml", "- a\n- b\n");
    assertThatThrownBy(() -> AutoscalerConfig.fromFile(list))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("expected: a YAML map");
    Path garbage = write("garbage.yaml", "a: [b\n");
    assertThatThrownBy(() -> AutoscalerConfig.fromFile(garbage))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unparsable YAML");
  }

  private Path write(String name, String content) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, content, StandardCharsets.UTF_8);
    return f;
  }
}
