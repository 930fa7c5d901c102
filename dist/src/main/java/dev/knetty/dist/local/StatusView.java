package dev.knetty.dist.local;

import dev.knetty.autoscaler.RevisionSnapshot;
import dev.knetty.autoscaler.SksMode;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Shows local mode's revisions: ready and desired pods, the autoscaler's observed concurrency
 * (stable and panic windows), panic mode, serve or proxy mode (what Knative would route; in local
 * mode the activator is always in the path), requests buffered in the activator.
 *
 * <p>On a terminal it redraws one screen every {@link #update}, like {@code top}: the banner, a
 * table, each revision's problem and the latest events. Otherwise it writes plain lines: one per
 * revision when its pods, panic, mode, state or problem change, or when anything in it changed and
 * {@code repeat} passed since its last line. Not thread-safe: one thread updates.
 */
final class StatusView {

  /** Home, then clear to the end of the screen: the frame is redrawn from the top. */
  private static final String HOME = "\u001b[H";

  private static final String CLEAR_LINE = "\u001b[K";
  private static final String CLEAR_BELOW = "\u001b[J";
  private static final String ROW = "%-24s %5s %7s %8s %8s  %-15s %-5s %-5s %8s  %s";
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
  private static final int EVENTS = 8;

  private final PrintWriter out;
  private final boolean terminal;
  private final Duration repeat;
  private final ZoneId zone;
  private final Map<String, Line> lastLines = new HashMap<>();
  private boolean bannerShown;

  private record Line(String key, String text, Instant at) {}

  /**
   * @param out where to write
   * @param terminal whether to redraw a screen (ANSI) instead of writing lines
   * @param repeat plain lines: the longest silence about a revision whose figures changed
   * @param zone for the times of events
   */
  StatusView(PrintWriter out, boolean terminal, Duration repeat, ZoneId zone) {
    this.out = Objects.requireNonNull(out, "out");
    this.terminal = terminal;
    this.repeat = Objects.requireNonNull(repeat, "repeat");
    this.zone = Objects.requireNonNull(zone, "zone");
  }

  /** Whether standard output is a terminal that understands ANSI escapes. */
  static boolean isAnsiTerminal(Map<String, String> env) {
    String term = env.get("TERM");
    return System.console() != null && term != null && !term.isEmpty() && !term.equals("dumb");
  }

  /** Shows the current state; {@code banner} is shown once (plain) or on top of every frame. */
  void update(
      List<String> banner, List<RevisionStatus> revisions, List<Events.Event> events, Instant now) {
    if (terminal) {
      out.print(frame(banner, revisions, events));
    } else {
      if (!bannerShown) {
        banner.forEach(out::println);
      }
      for (RevisionStatus r : revisions) {
        plainLine(r, now);
      }
    }
    bannerShown = true;
    out.flush();
  }

  /** The screen: banner, table, problems, recent events; every line clears its rest. */
  String frame(List<String> banner, List<RevisionStatus> revisions, List<Events.Event> events) {
    List<String> lines = new ArrayList<>(banner);
    lines.add("");
    lines.add(
        String.format(
            Locale.ROOT,
            ROW,
            "REVISION",
            "READY",
            "DESIRED",
            "STARTING",
            "STOPPING",
            "CONCURRENCY s/p",
            "PANIC",
            "MODE",
            "BUFFERED",
            "STATE"));
    for (RevisionStatus r : revisions) {
      lines.add(row(r));
    }
    for (RevisionStatus r : revisions) {
      if (r.pods().problem() != null) {
        lines.add("! " + r.name() + ": " + r.pods().problem());
      }
    }
    List<Events.Event> recent = events.subList(Math.max(0, events.size() - EVENTS), events.size());
    if (!recent.isEmpty()) {
      lines.add("");
      for (Events.Event e : recent) {
        lines.add(
            LocalTime.ofInstant(e.at(), zone).truncatedTo(ChronoUnit.SECONDS).format(CLOCK)
                + "  "
                + e.text());
      }
    }
    StringBuilder sb = new StringBuilder(HOME);
    for (String line : lines) {
      sb.append(line).append(CLEAR_LINE).append('\n');
    }
    return sb.append(CLEAR_BELOW).toString();
  }

  private static String row(RevisionStatus r) {
    RevisionPods p = r.pods();
    RevisionSnapshot s = r.autoscaling();
    return String.format(
        Locale.ROOT,
        ROW,
        r.name(),
        p.ready(),
        p.desired(),
        p.notReady(),
        p.stopping(),
        concurrency(r),
        s == null ? "-" : s.panicMode() ? "yes" : "no",
        mode(s),
        r.buffered(),
        s == null ? "-" : s.active());
  }

  private void plainLine(RevisionStatus r, Instant now) {
    RevisionPods p = r.pods();
    RevisionSnapshot s = r.autoscaling();
    String key =
        p.ready()
            + "/"
            + p.desired()
            + "/"
            + p.notReady()
            + "/"
            + p.stopping()
            + "/"
            + (s == null ? "" : s.panicMode() + "/" + s.mode() + "/" + s.active())
            + "/"
            + p.problem();
    String text =
        r.name()
            + ": pods "
            + p.ready()
            + "/"
            + p.desired()
            + " ready ("
            + p.notReady()
            + " starting, "
            + p.stopping()
            + " stopping), concurrency "
            + concurrency(r)
            + " (stable/panic), "
            + (s != null && s.panicMode() ? "panic" : "no panic")
            + ", mode "
            + mode(s)
            + ", buffered "
            + r.buffered()
            + ", "
            + (s == null ? "-" : s.active())
            + (p.problem() == null ? "" : "; " + p.problem());
    Line last = lastLines.get(r.name());
    boolean print =
        last == null
            || !last.key().equals(key)
            || (!last.text().equals(text) && !now.isBefore(last.at().plus(repeat)));
    if (print) {
      out.println(now.truncatedTo(ChronoUnit.SECONDS) + " " + text);
      lastLines.put(r.name(), new Line(key, text, now));
    }
  }

  private static String concurrency(RevisionStatus r) {
    RevisionSnapshot s = r.autoscaling();
    if (s == null || s.desiredScale() < 0) {
      return "- / -";
    }
    // Rounding after proxied concurrency is subtracted can leave -1e-17: not "-0.0" on screen.
    return String.format(
        Locale.ROOT,
        "%.1f / %.1f",
        Math.max(0.0, s.observedStable()),
        Math.max(0.0, s.observedPanic()));
  }

  private static String mode(RevisionSnapshot s) {
    if (s == null) {
      return "-";
    }
    return s.mode() == SksMode.SERVE ? "Serve" : "Proxy";
  }
}
