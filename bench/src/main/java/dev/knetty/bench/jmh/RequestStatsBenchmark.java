package dev.knetty.bench.jmh;

import dev.knetty.common.stats.RequestStats;
import dev.knetty.common.stats.RequestStatsReport;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Knative's request statistics as every queue-proxy request feeds them: an In and an Out event
 * (each takes the stats lock and integrates concurrency over time), alone and from two threads; and
 * the once-a-second report.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-XX:+UseSerialGC")
public class RequestStatsBenchmark {

  private RequestStats stats;

  @Setup(Level.Trial)
  public void setUp() {
    stats = new RequestStats(System.nanoTime());
  }

  private void inOut() {
    stats.handleEvent(RequestStats.Event.REQ_IN, System.nanoTime());
    stats.handleEvent(RequestStats.Event.REQ_OUT, System.nanoTime());
  }

  @Benchmark
  @Threads(1)
  public void inOutAlone() {
    inOut();
  }

  @Benchmark
  @Threads(2)
  public void inOutContended() {
    inOut();
  }

  @Benchmark
  @Threads(1)
  public RequestStatsReport report() {
    return stats.report(System.nanoTime());
  }
}
