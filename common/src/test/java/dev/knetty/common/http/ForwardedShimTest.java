package dev.knetty.common.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cases of Knative's {@code pkg/queue/forwarded_shim_test.go}, plus edge cases of Go's split.
 */
class ForwardedShimTest {

  static Stream<Arguments> knativeCases() {
    return Stream.of(
        Arguments.of(
            "multiple xff",
            "127.0.0.1, ::1",
            "h",
            "p",
            null,
            "for=127.0.0.1;host=h;proto=p, for=\"[::1]\""),
        Arguments.of("single xff", "127.0.0.1", "h", "p", null, "for=127.0.0.1;host=h;proto=p"),
        Arguments.of(
            "multiple xff, no xfh, no xfp",
            "127.0.0.1, ::1",
            null,
            null,
            null,
            "for=127.0.0.1, for=\"[::1]\""),
        Arguments.of(
            "multiple xff, no xfh",
            "127.0.0.1, ::1",
            null,
            "p",
            null,
            "for=127.0.0.1;proto=p, for=\"[::1]\""),
        Arguments.of(
            "multiple xff, no xfp",
            "127.0.0.1, ::1",
            "h",
            null,
            null,
            "for=127.0.0.1;host=h, for=\"[::1]\""),
        Arguments.of("only xfh", null, "h", null, null, "host=h"),
        Arguments.of("only xfp", null, null, "p", null, "proto=p"),
        Arguments.of("only xfp and xfh", null, "h", "p", null, "host=h;proto=p"),
        Arguments.of("existing fwd", "127.0.0.1, ::1", "h", "p", "for=a, for=b", "for=a, for=b"),
        Arguments.of("nothing", null, null, null, null, null),
        Arguments.of("empty nodes are kept", "a ,, b", null, null, null, "for=a, for=, for=b"),
        Arguments.of("empty forwarded is replaced", "a", null, null, "", "for=a"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("knativeCases")
  void matchesKnative(
      String name, String xff, String xfh, String xfp, String fwd, String expected) {
    HttpHeaders headers = new DefaultHttpHeaders();
    if (xff != null) {
      headers.set("X-Forwarded-For", xff);
    }
    if (xfh != null) {
      headers.set("X-Forwarded-Host", xfh);
    }
    if (xfp != null) {
      headers.set("X-Forwarded-Proto", xfp);
    }
    if (fwd != null) {
      headers.set("Forwarded", fwd);
    }

    boolean added = ForwardedShim.apply(headers);

    assertThat(headers.get("Forwarded")).isEqualTo(expected == null ? fwd : expected);
    assertThat(added).isEqualTo(expected != null && !expected.equals(fwd));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("knativeCases")
  void synthesizeAloneGivesTheSameValue(
      String name, String xff, String xfh, String xfp, String fwd, String expected) {
    if (fwd == null || fwd.isBlank()) {
      assertThat(ForwardedShim.synthesize(xff, xfh, xfp))
          .isEqualTo(expected == null ? "" : expected);
    }
  }
}
