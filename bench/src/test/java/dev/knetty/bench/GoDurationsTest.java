package dev.knetty.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GoDurationsTest {

  @Test
  void parsesGoDurations() {
    assertThat(GoDurations.parse("0")).isEqualTo(Duration.ZERO);
    assertThat(GoDurations.parse("100ms")).isEqualTo(Duration.ofMillis(100));
    assertThat(GoDurations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(GoDurations.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(GoDurations.parse("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(GoDurations.parse("250us")).isEqualTo(Duration.ofNanos(250_000));
    assertThat(GoDurations.parse("250µs")).isEqualTo(Duration.ofNanos(250_000));
    assertThat(GoDurations.parse("7ns")).isEqualTo(Duration.ofNanos(7));
    assertThat(GoDurations.parse("-3s")).isEqualTo(Duration.ofSeconds(-3));
  }

  @Test
  void rejectsWhatIsNotADuration() {
    for (String bad : new String[] {"", "5", "s", "1.2.3s", "10 parsecs", "3x", "1e3s"}) {
      assertThatThrownBy(() -> GoDurations.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("duration: " + bad + " (expected: ");
    }
  }

  @Test
  void formatsShortly() {
    assertThat(GoDurations.format(Duration.ofMinutes(5))).isEqualTo("5m");
    assertThat(GoDurations.format(Duration.ofHours(1))).isEqualTo("1h");
    assertThat(GoDurations.format(Duration.ofMillis(1500))).isEqualTo("1.5s");
    assertThat(GoDurations.format(Duration.ofMillis(100))).isEqualTo("100ms");
    assertThat(GoDurations.format(Duration.ofNanos(250_000))).isEqualTo("250us");
    assertThat(GoDurations.format(Duration.ZERO)).isEqualTo("0s");
    assertThat(GoDurations.format(Duration.ofSeconds(-2))).isEqualTo("-2s");
  }
}
