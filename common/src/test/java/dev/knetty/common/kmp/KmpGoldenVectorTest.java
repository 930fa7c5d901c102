package dev.knetty.common.kmp;

import static dev.knetty.common.kmp.KmpTesting.ACTIVATOR_POD;
import static dev.knetty.common.kmp.KmpTesting.AUTOSCALER_POD;
import static dev.knetty.common.kmp.KmpTesting.HELLO;
import static dev.knetty.common.kmp.KmpTesting.QP_POD;
import static dev.knetty.common.kmp.KmpTesting.T0;
import static dev.knetty.common.kmp.KmpTesting.WORLD;
import static dev.knetty.common.kmp.KmpTesting.decode;
import static dev.knetty.common.kmp.KmpTesting.encode;
import static dev.knetty.common.kmp.KmpTesting.hex;
import static dev.knetty.common.kmp.KmpTesting.vector;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The golden vectors of {@code src/test/resources/kmp} (also in docs/protocol.md), both ways:
 * encoding the messages gives exactly the bytes, decoding the bytes gives exactly the messages.
 */
class KmpGoldenVectorTest {

  static Stream<Arguments> vectors() {
    return Stream.of(
        Arguments.of(
            "hello",
            List.of(new Hello(1, 0, Role.QUEUE_PROXY, QP_POD, "10.0.0.7", 5000, 1 << 20, 65_536))),
        Arguments.of(
            "hello-ack",
            List.of(
                new Hello(
                    1, 0, Role.AUTOSCALER, AUTOSCALER_POD, "10.0.1.2", 5000, 1 << 20, 65_536))),
        Arguments.of(
            "error-unsupported-version",
            List.of(
                new ErrorMessage(
                    1,
                    0,
                    ErrorMessage.UNSUPPORTED_VERSION,
                    "unsupported KMP version 2.0 (this side speaks 1.0)"))),
        Arguments.of("heartbeat", List.of(Heartbeat.INSTANCE)),
        Arguments.of(
            "stats",
            List.of(
                StatBatch.of(
                    new Stat(HELLO, ACTIVATOR_POD, T0, 1.5, 0, 3, 0, 0),
                    new Stat(WORLD, ACTIVATOR_POD, T0 - 250, 0.25, 0, 1, 0, 0)),
                StatBatch.of(
                    new Stat(HELLO, ACTIVATOR_POD, T0 + 1000, 2, 0, 4, 0, 0),
                    new Stat(WORLD, ACTIVATOR_POD, T0 + 1000, 0, 0, 0, 0, 0)))),
        Arguments.of(
            "stats-queue-proxy",
            List.of(StatBatch.of(new Stat(HELLO, QP_POD, T0, 3.2, 1.1, 12, 4, 3600.5)))),
        Arguments.of(
            "decisions",
            List.of(new Decisions(List.of(new Decision(HELLO, 3, -47, 2, 1, 10)), List.of(WORLD)))),
        Arguments.of("newer-minor-as-1.0", newerMinorMessages()));
  }

  private static List<KmpMessage> newerMinorMessages() {
    return List.of(
        new Hello(1, 3, Role.ACTIVATOR, ACTIVATOR_POD, "10.0.2.9", 5000, 1 << 20, 65_536),
        StatBatch.of(new Stat(HELLO, ACTIVATOR_POD, T0, 1.5, 0, 3, 0, 0)),
        Heartbeat.INSTANCE);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void encodingGivesExactlyTheVector(String name, List<KmpMessage> messages) {
    assertThat(hex(encode(messages))).isEqualTo(hex(vector(name)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void decodingGivesExactlyTheMessages(String name, List<KmpMessage> messages) {
    assertThat(decode(vector(name))).isEqualTo(messages);
  }

  @Test
  void aNewerMinorDecodesToWhatItsOlderSelfWouldSay() {
    // Unknown frame type, unknown record, unknown presence bit, trailing fields: all skipped.
    assertThat(decode(vector("newer-minor"))).isEqualTo(newerMinorMessages());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "hello",
        "hello-ack",
        "error-unsupported-version",
        "heartbeat",
        "stats",
        "stats-queue-proxy",
        "decisions",
        "newer-minor",
        "newer-minor-as-1.0"
      })
  void theSpecificationShowsTheSameBytes(String name) throws Exception {
    String spec = Files.readString(Path.of("..", "docs", "protocol.md"));
    Matcher block =
        Pattern.compile(
                "### `" + Pattern.quote(name) + "\\.hex`\\n.*?```\\n(.*?)```", Pattern.DOTALL)
            .matcher(spec);
    assertThat(block.find()).as("docs/protocol.md shows %s.hex", name).isTrue();
    assertThat(hex(KmpTesting.parseHex(block.group(1)))).isEqualTo(hex(vector(name)));
  }

  @Test
  void decodedStatsShareTheirDictionaryInstances() {
    List<KmpMessage> batches = decode(vector("stats"));
    Stat first = ((StatBatch) batches.get(0)).stats().get(0);
    Stat later = ((StatBatch) batches.get(1)).stats().get(0);
    assertThat(later.revision()).isSameAs(first.revision());
    assertThat(later.podName()).isSameAs(first.podName());
  }
}
