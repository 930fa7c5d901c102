package dev.knetty.autoscaler.simulate;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.knetty.autoscaler.RevisionDecider;
import dev.knetty.common.config.DeciderSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Replays a trace through the server's decider ({@link RevisionDecider}) on the trace's clock and
 * prints one decision per tick.
 *
 * <p>Input (JSON Lines): line 1 {@code {"config": {...}, "annotations": {...},
 * "containerConcurrency": N}} (string values, missing keys take Knative's defaults), then events
 * with non-decreasing {@code t} in seconds since Unix time 1700000000: {@code {"t": 0, "ready":
 * 3}}, {@code {"t": 0.5, "stat": {"concurrency": 5, "proxiedConcurrency": 0, "rps": 5,
 * "proxiedRps": 0}}}, {@code {"t": 2, "tick": true}}. The decider is created at t = 0, with the
 * ready count of a first {@code ready} event at t = 0, else 0.
 *
 * <p>Output: per tick {@code {"t": <as given>, "valid": true, "desiredScale": ...,
 * "excessBurstCapacity": ..., "panicMode": ..., "activators": ..., "observedStable": ...,
 * "observedPanic": ...}}, or {@code {"t": ..., "valid": false}} when the decider has no data.
 * {@code desiredScale} is before the KPA's bounds and scale-to-zero rules.
 *
 * <p>Bad input exits with 2 and one line on standard error naming the line and the problem. The
 * whole trace is validated before anything runs, so a bad trace prints no decision at all.
 */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description = {
      "Replay a JSON Lines trace through the autoscaler's decider and print its decisions.",
      "Line 1: {\"config\": {...}, \"annotations\": {...}, \"containerConcurrency\": N}; then"
          + " events {\"t\": s, \"ready\": n} | {\"t\": s, \"stat\": {...}} | {\"t\": s, \"tick\":"
          + " true}, t in seconds since Unix time 1700000000.",
      "A bad trace exits with 2 and prints no decision."
    })
public final class SimulateCommand implements Callable<Integer> {

  /** Exit code of a bad trace. */
  public static final int BAD_INPUT = 2;

  /** Exit code when the output file cannot be written. */
  public static final int OUTPUT_FAILED = 1;

  @Spec CommandSpec spec;

  @Option(
      names = "--input",
      paramLabel = "FILE",
      description = "The trace (default: standard input).")
  Path input;

  @Option(
      names = "--output",
      paramLabel = "FILE",
      description = "Where to write decisions (default: standard output).")
  Path output;

  /** Standard input; replaceable in tests. */
  InputStream stdin = System.in;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    List<String> lines;
    try {
      lines = readLines();
    } catch (IOException | UncheckedIOException e) {
      err.println("input: cannot read " + (input == null ? "standard input" : input) + ": " + e);
      err.flush();
      return BAD_INPUT;
    }
    Trace trace;
    try {
      trace = Trace.parse(lines);
    } catch (Trace.TraceException e) {
      err.println("line " + e.line + ": " + e.getMessage());
      err.flush();
      return BAD_INPUT;
    }
    String decisions = run(trace);
    if (output == null) {
      PrintWriter out = spec.commandLine().getOut();
      out.print(decisions);
      out.flush();
      return 0;
    }
    try {
      Files.writeString(output, decisions, StandardCharsets.UTF_8);
      return 0;
    } catch (IOException e) {
      err.println("output: cannot write " + output + ": " + e);
      err.flush();
      return OUTPUT_FAILED;
    }
  }

  private List<String> readLines() throws IOException {
    if (input != null) {
      return Files.readAllLines(input, StandardCharsets.UTF_8);
    }
    List<String> lines = new ArrayList<>();
    BufferedReader r = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
    for (String line = r.readLine(); line != null; line = r.readLine()) {
      lines.add(line);
    }
    return lines;
  }

  /** Runs a valid trace; one JSON line per tick. */
  static String run(Trace trace) {
    DeciderSpec spec = trace.scaling().decider();
    List<Trace.Event> events = trace.events();
    long start = Trace.EPOCH_SECONDS * 1_000_000_000L;
    int ready = 0;
    if (!events.isEmpty()
        && events.get(0).kind() == Trace.Kind.READY
        && events.get(0).nanos() == start) {
      ready = events.get(0).ready();
    }
    RevisionDecider decider = new RevisionDecider(spec, start, ready);
    StringWriter out = new StringWriter();
    JsonFactory json = new JsonFactory();
    for (Trace.Event e : events) {
      switch (e.kind()) {
        case READY:
          ready = e.ready();
          break;
        case STAT:
          decider.record(
              e.nanos(), e.concurrency() - e.proxiedConcurrency(), e.rps() - e.proxiedRps());
          break;
        case TICK:
        default:
          boolean valid = decider.scale(e.nanos(), ready);
          try {
            write(json, out, e.t(), valid, decider, RevisionDecider.activators(spec, ready));
          } catch (IOException impossible) { // a StringWriter does not fail
            throw new UncheckedIOException(impossible);
          }
          break;
      }
    }
    return out.toString();
  }

  private static void write(
      JsonFactory json, Writer out, String t, boolean valid, RevisionDecider d, int activators)
      throws IOException {
    try (JsonGenerator g = json.createGenerator(out)) {
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      g.writeStartObject();
      g.writeFieldName("t");
      g.writeNumber(t); // as written in the trace
      g.writeBooleanField("valid", valid);
      if (valid) {
        g.writeNumberField("desiredScale", d.desiredScale());
        g.writeNumberField("excessBurstCapacity", d.excessBurstCapacity());
        g.writeBooleanField("panicMode", d.panicMode());
        g.writeNumberField("activators", activators);
        g.writeNumberField("observedStable", d.observedStable());
        g.writeNumberField("observedPanic", d.observedPanic());
      }
      g.writeEndObject();
    }
    out.write('\n');
  }
}
