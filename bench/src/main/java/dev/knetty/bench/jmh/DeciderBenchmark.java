package dev.knetty.bench.jmh;

import dev.knetty.autoscaler.RevisionDecider;
import dev.knetty.common.config.AggregationAlgorithm;
import dev.knetty.common.config.DeciderSpec;
import dev.knetty.common.config.ScalingMetric;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The autoscaler's bucket aggregation per revision ({@link RevisionDecider}, Knative's KPA with its
 * metric collector): {@link #record} adds one pod's stat to the per-second buckets of the stable
 * (60 s) and panic (6 s) windows; {@link #scale} averages both windows over full buckets and
 * decides, as the once-a-second tick does for each revision.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-XX:+UseSerialGC")
public class DeciderBenchmark {

  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  /** Knative's default (linear) and the weighted-exponential average. */
  @Param({"LINEAR", "WEIGHTED_EXPONENTIAL"})
  AggregationAlgorithm aggregation;

  private RevisionDecider decider;
  private long now;

  @Setup(Level.Trial)
  public void setUp() {
    DeciderSpec spec =
        new DeciderSpec(
            ScalingMetric.CONCURRENCY,
            70,
            100,
            2.0,
            Duration.ofSeconds(60),
            Duration.ofSeconds(6),
            200,
            Duration.ZERO,
            1,
            1,
            true,
            100,
            1000,
            2,
            aggregation);
    now = 1_000 * SECOND;
    decider = new RevisionDecider(spec, now, 10);
    // A full stable window: 10 pods reporting every second for 60 s.
    for (int s = 0; s < 60; s++) {
      now += SECOND;
      for (int pod = 0; pod < 10; pod++) {
        decider.record(now, 60 + pod, 100);
      }
    }
  }

  /** One pod's stat; 100 stats per second of simulated time. */
  @Benchmark
  public void record() {
    now += SECOND / 100;
    decider.record(now, 65, 100);
  }

  /** The decider's current decision (for tests). */
  int desiredScale() {
    return decider.desiredScale();
  }

  /** One tick: both window averages over full buckets, and the decision. */
  @Benchmark
  public boolean scale() {
    return decider.scale(now, 10);
  }
}
