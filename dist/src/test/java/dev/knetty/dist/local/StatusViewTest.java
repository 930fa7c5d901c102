package dev.knetty.dist.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.autoscaler.RevisionSnapshot;
import dev.knetty.autoscaler.SksMode;
import dev.knetty.common.RevisionKey;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusViewTest {

  private static final RevisionKey KEY = new RevisionKey("default", "hello");
  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

  private final StringWriter out = new StringWriter();

  @Test
  void aTerminalGetsOneRedrawnScreen() {
    StatusView view = view(true);
    Events events = new Events(10, java.time.Clock.fixed(T0, ZoneOffset.UTC));
    events.add("hello: pod hello-1 ready after 2.0 s");

    view.update(List.of("banner"), List.of(status(2, 3, true, null)), events.last(10), T0);

    String screen = out.toString();
    assertThat(screen).startsWith("\u001b[H").endsWith("\u001b[J");
    assertThat(screen)
        .contains("banner")
        .containsPattern("hello +2 +3 +1 +0 +12\\.0 / 20\\.0 +yes +Proxy +4 +Active")
        .contains("10:00:00  hello: pod hello-1 ready after 2.0 s");
  }

  @Test
  void plainLinesOnlyWhenSomethingChanges() {
    StatusView view = view(false);
    view.update(List.of("banner"), List.of(status(1, 1, false, null)), List.of(), T0);
    view.update(
        List.of("banner"), List.of(status(1, 1, false, null)), List.of(), T0.plusSeconds(1));
    view.update(
        List.of("banner"),
        List.of(status(1, 2, true, "app keeps crashing")),
        List.of(),
        T0.plusSeconds(2));

    List<String> lines = out.toString().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).isEqualTo("banner");
    assertThat(lines.get(1))
        .isEqualTo(
            "2026-01-01T10:00:00Z hello: pods 1/1 ready (1 starting, 0 stopping), concurrency"
                + " 12.0 / 20.0 (stable/panic), no panic, mode Proxy, buffered 4, Active");
    assertThat(lines.get(2)).contains("pods 1/2 ready", ", panic,", "; app keeps crashing");
  }

  @Test
  void aRoundingErrorBelowZeroShowsAsZero() {
    StatusView view = view(false);
    RevisionSnapshot s =
        new RevisionSnapshot(
            KEY, true, -1e-17, -0.0, 1, -5, false, 1, SksMode.PROXY, 1, 1, "Inactive");
    RevisionPods pods = new RevisionPods(1, 1, 0, 0, 1, 0, 0, null, List.of());
    view.update(List.of(), List.of(new RevisionStatus(KEY, "hello", pods, s, 0)), List.of(), T0);

    assertThat(out.toString()).contains("concurrency 0.0 / 0.0 (stable/panic)");
  }

  private StatusView view(boolean terminal) {
    return new StatusView(new PrintWriter(out), terminal, Duration.ofSeconds(10), ZoneOffset.UTC);
  }

  private static RevisionStatus status(int ready, int desired, boolean panic, String problem) {
    RevisionPods pods = new RevisionPods(desired, ready, 1, 0, 3, 0, 0, problem, List.of());
    RevisionSnapshot s =
        new RevisionSnapshot(
            KEY, true, 12, 20, desired, -5, panic, desired, SksMode.PROXY, ready, 1, "Active");
    return new RevisionStatus(KEY, "hello", pods, s, 4);
  }
}
