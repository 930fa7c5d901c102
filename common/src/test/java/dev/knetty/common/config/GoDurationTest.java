package dev.knetty.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {

  @ParameterizedTest
  @CsvSource({
    "0, 0",
    "+0, 0",
    "-0, 0",
    "0s, 0",
    "60s, 60000000000",
    "1m30s, 90000000000",
    "1h, 3600000000000",
    "500ms, 500000000",
    "1.5h, 5400000000000",
    "-2s, -2000000000",
    "+5s, 5000000000",
    ".5s, 500000000",
    "1.s, 1000000000",
    "1h2m3s4ms5us6ns, 3723004005006",
    "3\u00b5s, 3000",
    "3\u03bcs, 3000",
    "0.1s, 100000000",
    // Go drops fraction digits beyond nanoseconds: 1 + 1e-10 s is 1 s.
    "1.0000000001s, 1000000000",
    "9223372036854775807ns, 9223372036854775807",
    "-9223372036854775808ns, -9223372036854775808",
    "2562047h, 9223369200000000000",
  })
  void parsesLikeGo(String text, long nanos) {
    assertThat(GoDuration.parseNanos(text)).isEqualTo(nanos);
    assertThat(GoDuration.parse(text)).isEqualTo(Duration.ofNanos(nanos));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "5",
        "s",
        "1x",
        " 5s",
        "5s ",
        "1.5",
        ".s",
        "-",
        "+",
        "-.s",
        "1s5",
        "1 s",
        "1S",
        "9223372036854775808ns",
        "2562048h",
        "99999999999999999999s",
      })
  void rejectsWhatGoRejects(String text) {
    assertThatThrownBy(() -> GoDuration.parseNanos(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("duration");
  }

  @ParameterizedTest
  @CsvSource({
    "0, 0s",
    "1, 1ns",
    "1500, 1.5\u00b5s",
    "500000000, 500ms",
    "1000000000, 1s",
    "1500000000, 1.5s",
    "60000000000, 1m0s",
    "90000000000, 1m30s",
    "3600000000000, 1h0m0s",
    "-2000000000, -2s",
    "3723004005006, 1h2m3.004005006s",
  })
  void formatsLikeGo(long nanos, String text) {
    assertThat(GoDuration.format(nanos)).isEqualTo(text);
    assertThat(GoDuration.format(Duration.ofNanos(nanos))).isEqualTo(text);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1m0s", "1m30s", "1h0m0s", "500ms", "1.5s", "1ns"})
  void formatRoundTrips(String text) {
    assertThat(GoDuration.format(GoDuration.parse(text))).isEqualTo(text);
  }
}
