package dev.knetty.bench.report;

import dev.knetty.bench.load.IntervalSample;
import dev.knetty.bench.load.LoadResult;
import dev.knetty.bench.load.LoadSpec;
import dev.knetty.bench.proc.ProcessUsage;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * A {@link LoadResult} for machines (JSON via {@link Json}) and for people ({@link #text()}).
 *
 * @param shape the spec in one line
 * @param rate the open-loop target rate; 0 for closed loop
 * @param sendRate measured requests per second of the measured duration
 * @param throughput successes per second from the end of the warm-up to the last completion
 * @param process resources of the process under test, when one was accounted; its CPU time is that
 *     of the measured part (after the warm-up), per measured request
 * @param histogram the latency histogram (microseconds), HdrHistogram's compressed encoding in
 *     base64, for re-plotting and merging
 */
public record LoadSummary(
    String name,
    String target,
    String protocol,
    String mode,
    String shape,
    double rate,
    double durationSeconds,
    double warmupSeconds,
    int connections,
    int concurrency,
    long requests,
    long successes,
    long warmupRequests,
    Map<String, Long> errors,
    double sendRate,
    double throughput,
    Latency latencyMs,
    List<IntervalSample> intervals,
    ProcessCost process,
    String histogram) {

  /** Latency percentiles of successful requests, in milliseconds. */
  public record Latency(
      double p50, double p90, double p95, double p99, double p999, double max, double mean) {}

  /**
   * What the process under test used during the run.
   *
   * @param peakRssBytes {@code VmHWM}: the process's lifetime peak resident set
   */
  public record ProcessCost(
      long pid,
      double cpuSeconds,
      double cpuSecondsPer1000Requests,
      long peakRssBytes,
      long maxSampledRssBytes,
      long clockTicksPerSecond) {}

  /** Summarises {@code result}; {@code usage} may be null. */
  public static LoadSummary of(LoadResult result, ProcessUsage usage) {
    LoadSpec spec = result.spec();
    Histogram h = result.latency();
    Latency latency =
        new Latency(
            result.percentileMillis(50),
            result.percentileMillis(90),
            result.percentileMillis(95),
            result.percentileMillis(99),
            result.percentileMillis(99.9),
            result.maxMillis(),
            h.getTotalCount() == 0 ? 0 : h.getMean() / 1000.0);
    ProcessCost cost =
        usage == null
            ? null
            : new ProcessCost(
                usage.pid(),
                usage.cpuSeconds(),
                usage.cpuSecondsPer1000(result.requests()),
                usage.peakRssBytes(),
                usage.maxSampledRssBytes(),
                usage.clockTicksPerSecond());
    return new LoadSummary(
        spec.name(),
        spec.target().toString(),
        spec.protocol().label(),
        spec.mode() == LoadSpec.Mode.OPEN_LOOP ? "open-loop" : "closed-loop",
        spec.describe(),
        spec.rate(),
        spec.duration().toNanos() / 1e9,
        spec.warmup().toNanos() / 1e9,
        spec.connections(),
        spec.concurrency(),
        result.requests(),
        result.successes(),
        result.warmupRequests(),
        result.errors(),
        result.rate(),
        result.throughput(),
        latency,
        result.intervals(),
        cost,
        encode(h));
  }

  private static String encode(Histogram histogram) {
    ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
    int length = histogram.encodeIntoCompressedByteBuffer(buffer);
    return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), length));
  }

  /** A few aligned lines: what ran, counts, errors by kind, percentiles, process cost. */
  public String text() {
    StringBuilder out = new StringBuilder();
    line(out, "load", name + " (" + shape + ")");
    line(out, "target", target);
    line(
        out,
        "requests",
        String.format(
            Locale.ROOT,
            "%d (%.1f/s), %d successful, throughput %.1f/s",
            requests,
            sendRate,
            successes,
            throughput));
    line(
        out,
        "errors",
        errors.isEmpty()
            ? "none"
            : errors.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", ")));
    line(
        out,
        "latency (ms)",
        String.format(
            Locale.ROOT,
            "p50 %.2f  p90 %.2f  p95 %.2f  p99 %.2f  p99.9 %.2f  max %.2f",
            latencyMs.p50(),
            latencyMs.p90(),
            latencyMs.p95(),
            latencyMs.p99(),
            latencyMs.p999(),
            latencyMs.max()));
    if (process != null) {
      line(
          out,
          "process " + process.pid(),
          String.format(
              Locale.ROOT,
              "cpu %.2f s (%.3f s per 1,000 requests), peak RSS %.1f MiB",
              process.cpuSeconds(),
              process.cpuSecondsPer1000Requests(),
              process.peakRssBytes() / (1024.0 * 1024.0)));
    }
    return out.toString();
  }

  private static void line(StringBuilder out, String label, String value) {
    out.append(String.format(Locale.ROOT, "%-14s %s%n", label, value));
  }
}
