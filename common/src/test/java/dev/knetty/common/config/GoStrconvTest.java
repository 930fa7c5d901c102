package dev.knetty.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoStrconvTest {

  @ParameterizedTest
  @CsvSource({
    "1, 1",
    "1.5, 1.5",
    ".5, 0.5",
    "1., 1",
    "1e3, 1000",
    "1E-2, 0.01",
    "+2, 2",
    "-1, -1",
    "1_000, 1000",
    "1_000.5e1_0, 10005000000000",
    "0.7, 0.7",
    "1e-400, 0",
  })
  void parsesFloatsLikeGo(String text, double value) {
    assertThat(GoStrconv.parseFloat(text)).isEqualTo(value);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        ".",
        "e3",
        "1e",
        "1e+",
        " 1",
        "1 ",
        "1d",
        "1f",
        "1__0",
        "_1",
        "1_",
        "1_.5",
        "NaN",
        "inf",
        "Infinity",
        "1e400",
        "0x10",
        "0x1p4",
        "1,5",
        "--1"
      })
  void rejectsFloatsGoRejectsAndNonFinite(String text) {
    assertThat(GoStrconv.parseFloat(text)).isNull();
  }

  @ParameterizedTest
  @CsvSource({"0, 0", "+5, 5", "-5, -5", "2147483647, 2147483647", "-2147483648, -2147483648"})
  void parsesInt32(String text, int value) {
    assertThat(GoStrconv.parseInt32(text)).isEqualTo(value);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "2147483648", "-2147483649", "1.0", "1_0", " 1", "1e3", "0x1"})
  void rejectsBadInt32(String text) {
    assertThat(GoStrconv.parseInt32(text)).isNull();
  }

  @Test
  void int64Range() {
    assertThat(GoStrconv.parseInt64("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
    assertThat(GoStrconv.parseInt64("9223372036854775808")).isNull();
  }

  @ParameterizedTest
  @CsvSource({
    "1, true", "t, true", "T, true", "TRUE, true", "true, true", "True, true",
    "0, false", "f, false", "F, false", "FALSE, false", "false, false", "False, false"
  })
  void parsesBoolsLikeGo(String text, boolean value) {
    assertThat(GoStrconv.parseBool(text)).isEqualTo(value);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "yes", "no", "tRUE", "on", " true"})
  void rejectsOtherBools(String text) {
    assertThat(GoStrconv.parseBool(text)).isNull();
  }

  @Test
  void formatsNumbersPlainly() {
    assertThat(GoStrconv.format(100)).isEqualTo("100");
    assertThat(GoStrconv.format(0.7)).isEqualTo("0.7");
    assertThat(GoStrconv.format(-1)).isEqualTo("-1");
    assertThat(GoStrconv.format(1.005)).isEqualTo("1.005");
  }
}
