package dev.knetty.bench.load;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.HdrHistogram.Histogram;

/**
 * The outcome of one measured phase (warm-up excluded).
 *
 * @param requests measured requests that completed, successfully or not
 * @param successes responses with a status below 400
 * @param errors failures by {@link ErrorKind#key(int)}
 * @param latency latencies of successful requests in microseconds, from each request's intended
 *     send time; do not modify
 * @param elapsed from the end of the warm-up to the last completion
 * @param warmupRequests requests sent during the warm-up
 */
public record LoadResult(
    LoadSpec spec,
    long requests,
    long successes,
    Map<String, Long> errors,
    Histogram latency,
    Duration elapsed,
    List<IntervalSample> intervals,
    long warmupRequests) {

  public LoadResult {
    Objects.requireNonNull(spec, "spec");
    errors = Map.copyOf(errors);
    Objects.requireNonNull(latency, "latency");
    Objects.requireNonNull(elapsed, "elapsed");
    intervals = List.copyOf(intervals);
  }

  /** All failed requests. */
  public long errorCount() {
    return errors.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Successes per second over {@link #elapsed()} (vegeta's "throughput"). */
  public double throughput() {
    double seconds = elapsed.toNanos() / 1e9;
    return seconds <= 0 ? 0 : successes / seconds;
  }

  /** Requests per second of the measured duration (vegeta's "rate"). */
  public double rate() {
    return requests / (spec.duration().toNanos() / 1e9);
  }

  /** The latency at {@code percentile} (0-100) in milliseconds; 0 without successes. */
  public double percentileMillis(double percentile) {
    return latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(percentile) / 1000.0;
  }

  /** The largest latency in milliseconds. */
  public double maxMillis() {
    return latency.getTotalCount() == 0 ? 0 : latency.getMaxValue() / 1000.0;
  }
}
