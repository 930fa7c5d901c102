package dev.knetty.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonToken;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class YamlFieldsTest {

  /** Reads {@code key}'s value of a one-key map with {@code field}, as an item parser does. */
  private static Object field(String yaml, YamlFields.Reader<?> field) throws YamlProblem {
    return YamlFields.parse(
        yaml.getBytes(StandardCharsets.UTF_8),
        p -> {
          p.nextToken(); // START_OBJECT
          p.nextToken(); // FIELD_NAME
          p.nextToken(); // the value
          return field.read(p);
        });
  }

  private static void assertProblem(String yaml, YamlFields.Reader<?> reader, String message) {
    assertThatThrownBy(() -> field(yaml, reader))
        .isInstanceOfSatisfying(
            YamlProblem.class,
            e -> assertThat(e.line() + ": " + e.getMessage()).isEqualTo(message));
  }

  @Test
  void describesValuesForProblems() throws YamlProblem {
    assertThat(field("k: [1]", YamlFields::describe)).isEqualTo("a list");
    assertThat(field("k: {a: 1}", YamlFields::describe)).isEqualTo("a map");
    assertThat(field("k:", YamlFields::describe)).isEqualTo("nothing");
    assertThat(field("k: ''", YamlFields::describe)).isEqualTo("nothing");
    assertThat(field("k: ~", YamlFields::describe)).isEqualTo("nothing");
    assertThat(field("k: yes please", YamlFields::describe)).isEqualTo("yes please");
    assertThat(YamlFields.describe(JsonToken.VALUE_NUMBER_INT, "12")).isEqualTo("12");
  }

  @Test
  void stringsAreScalarsAsWritten() throws YamlProblem {
    assertThat(field("k: 1", p -> YamlFields.string(p, "k"))).isEqualTo("1");
    assertThat(field("k: true", p -> YamlFields.string(p, "k"))).isEqualTo("true");
    assertThat(field("k: \"a b\"", p -> YamlFields.string(p, "k"))).isEqualTo("a b");
    assertProblem("k: [a]", p -> YamlFields.string(p, "k"), "1: k: a list (expected: a string)");
    assertProblem("k:", p -> YamlFields.string(p, "k"), "1: k: nothing (expected: a string)");
  }

  @Test
  void dnsLabels() throws YamlProblem {
    assertThat(field("k: hello-1", p -> YamlFields.dnsLabel(p, "k"))).isEqualTo("hello-1");
    assertProblem(
        "\nk: Hello",
        p -> YamlFields.dnsLabel(p, "k"),
        "2: k: Hello (expected: a DNS label: 1 to"
            + " 63 of a-z, 0-9 and '-', not starting or ending with '-')");
    assertThatThrownBy(() -> field("k: {}", p -> YamlFields.dnsLabel(p, "k")))
        .hasMessageStartingWith("k: a map (expected: a DNS label");
  }

  @Test
  void integers() throws YamlProblem {
    assertThat(field("k: 7", p -> YamlFields.intValue(p, "k", 0))).isEqualTo(7);
    assertThat(field("k: -7", p -> YamlFields.longValue(p, "k", Long.MIN_VALUE))).isEqualTo(-7L);
    assertProblem(
        "k: -1", p -> YamlFields.intValue(p, "k", 0), "1: k: -1 (expected: an integer >= 0)");
    assertProblem(
        "k: ten", p -> YamlFields.intValue(p, "k", 0), "1: k: ten (expected: an integer >= 0)");
    assertProblem(
        "k: 1.5",
        p -> YamlFields.intValue(p, "k", Integer.MIN_VALUE),
        "1: k: 1.5 (expected: an integer)");
    assertProblem(
        "k: 2147483648",
        p -> YamlFields.intValue(p, "k", 0),
        "1: k: 2147483648 (expected: an integer <= 2147483647)");
    assertProblem(
        "k: 99999999999999999999",
        p -> YamlFields.longValue(p, "k", Long.MIN_VALUE),
        "1: k: 99999999999999999999 (expected: an integer)");
  }

  @Test
  void booleans() throws YamlProblem {
    assertThat(field("k: false", p -> YamlFields.bool(p, "k"))).isEqualTo(false);
    assertProblem(
        "k: yes please",
        p -> YamlFields.bool(p, "k"),
        "1: k: yes please (expected: true or false)");
  }

  @Test
  void emptyValues() throws YamlProblem {
    assertThat(field("k:", YamlFields::isEmpty)).isEqualTo(true);
    assertThat(field("k: ''", YamlFields::isEmpty)).isEqualTo(true);
    assertThat(field("k: null", YamlFields::isEmpty)).isEqualTo(true);
    assertThat(field("k: 0", YamlFields::isEmpty)).isEqualTo(false);
    assertThat(field("k: []", YamlFields::isEmpty)).isEqualTo(false);
  }

  @Test
  void itemsAreListedOnce() throws YamlProblem {
    Map<String, Integer> lines = new HashMap<>();
    YamlFields.listedOnce(lines, "a", 2, "item a");
    YamlFields.listedOnce(lines, "b", 3, "item b");
    assertThatThrownBy(() -> YamlFields.listedOnce(lines, "a", 5, "item a"))
        .isInstanceOfSatisfying(YamlProblem.class, e -> assertThat(e.line()).isEqualTo(5))
        .hasMessage("item a is listed twice (first at line 2)");
  }

  @Test
  void syntaxErrorsAreAtSnakeYamlsLine() {
    assertThatThrownBy(
            () ->
                YamlFields.parse(
                    "a: 1\nb: [\n".getBytes(StandardCharsets.UTF_8),
                    p -> {
                      while (p.nextToken() != null) {}
                      return null;
                    }))
        .isInstanceOfSatisfying(YamlProblem.class, e -> assertThat(e.line()).isEqualTo(3))
        .hasMessage("expected the node content, but found '<stream end>'");
  }

  @Test
  void problemsInAFileNameIt() {
    assertThat(new YamlProblem(4, "k: x (expected: y)").inFile(java.nio.file.Path.of("/f.yaml")))
        .hasMessage("/f.yaml line 4: k: x (expected: y)")
        .hasCauseInstanceOf(YamlProblem.class);
  }
}
