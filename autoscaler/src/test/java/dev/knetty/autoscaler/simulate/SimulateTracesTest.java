package dev.knetty.autoscaler.simulate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Runs every hand-computed trace of {@code src/test/resources/simulate} end to end. */
class SimulateTracesTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  static Path dir() throws URISyntaxException {
    return Path.of(SimulateTracesTest.class.getResource("/simulate/README.md").toURI()).getParent();
  }

  static Stream<String> traces() throws IOException, URISyntaxException {
    try (Stream<Path> files = Files.list(dir())) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".jsonl") && !n.endsWith(".expected.jsonl"))
          .map(n -> n.substring(0, n.length() - ".jsonl".length()))
          .sorted()
          .toList()
          .stream();
    }
  }

  @Test
  void everyTraceHasItsExpectationAndNotes() throws Exception {
    List<String> names = traces().toList();
    assertThat(names)
        .contains(
            "scale-from-zero",
            "steady-state",
            "panic-burst",
            "no-scale-down-in-panic",
            "max-scale-up-rate",
            "max-scale-down-rate",
            "scale-down-delay",
            "activation-scale",
            "tbc-unlimited",
            "tbc-zero",
            "tbc-positive",
            "weighted-exponential",
            "partial-windows",
            "no-data",
            "rps",
            "start-in-panic");
    for (String n : names) {
      assertThat(dir().resolve(n + ".expected.jsonl")).exists();
      assertThat(dir().resolve(n + ".md")).exists();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("traces")
  void matchesTheHandComputedDecisions(String name) throws Exception {
    Path trace = dir().resolve(name + ".jsonl");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        new CommandLine(new SimulateCommand())
            .setOut(new PrintWriter(out))
            .setErr(new PrintWriter(err))
            .execute("--input", trace.toString());
    assertThat(err.toString()).isEmpty();
    assertThat(code).isZero();

    List<String> got = lines(out.toString());
    List<String> want = Files.readAllLines(dir().resolve(name + ".expected.jsonl"));
    assertThat(got).hasSameSizeAs(want);
    for (int i = 0; i < want.size(); i++) {
      assertSameDecision(name + " decision " + (i + 1), got.get(i), want.get(i));
    }
  }

  private static List<String> lines(String s) {
    List<String> l = new ArrayList<>();
    for (String line : s.split("\n", -1)) {
      if (!line.isEmpty()) {
        l.add(line);
      }
    }
    assertThat(s).endsWith("\n");
    return l;
  }

  /** Same keys in the same order; integers and booleans exact, averages within 1e-9. */
  static void assertSameDecision(String what, String got, String want) throws IOException {
    assertThat(rawT(got)).as(what + ": t as written").isEqualTo(rawT(want));
    JsonNode g = JSON.readTree(got);
    JsonNode w = JSON.readTree(want);
    List<String> gotKeys = new ArrayList<>();
    g.fieldNames().forEachRemaining(gotKeys::add);
    List<String> wantKeys = new ArrayList<>();
    w.fieldNames().forEachRemaining(wantKeys::add);
    assertThat(gotKeys).as(what + ": fields").isEqualTo(wantKeys);
    for (Map.Entry<String, JsonNode> e : w.properties()) {
      JsonNode gv = g.get(e.getKey());
      JsonNode wv = e.getValue();
      if (e.getKey().startsWith("observed")) {
        assertThat(gv.doubleValue())
            .as(what + ": " + e.getKey())
            .isCloseTo(wv.doubleValue(), within(1e-9));
      } else if (!e.getKey().equals("t")) {
        assertThat(gv).as(what + ": " + e.getKey()).isEqualTo(wv);
      }
    }
  }

  private static String rawT(String line) throws IOException {
    try (JsonParser p = new JsonFactory().createParser(line.getBytes(StandardCharsets.UTF_8))) {
      p.nextToken();
      p.nextToken();
      assertThat(p.currentName()).isEqualTo("t");
      p.nextToken();
      return p.getText();
    }
  }
}
