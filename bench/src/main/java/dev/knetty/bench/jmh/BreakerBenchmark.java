package dev.knetty.bench.jmh;

import dev.knetty.common.breaker.Breaker;
import dev.knetty.common.breaker.BreakerConfig;
import dev.knetty.common.breaker.Permit;
import io.netty.channel.DefaultEventLoop;
import io.netty.util.concurrent.Future;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Knative's breaker as the queue-proxy uses it (containerConcurrency 100): acquire a permit and
 * release it, alone and with two threads contending for the same breaker (the queue-proxy's two
 * event loops). Nobody waits, so this is the fast path: two compare-and-sets each way.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-XX:+UseSerialGC"})
public class BreakerBenchmark {

  private Breaker breaker;
  private DefaultEventLoop loop;

  @Setup(Level.Trial)
  public void setUp() {
    breaker = new Breaker(BreakerConfig.forContainerConcurrency(100));
    loop = new DefaultEventLoop();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
  }

  private boolean acquireRelease() {
    Future<Permit> permit = breaker.acquire(loop);
    return permit.getNow().release();
  }

  @Benchmark
  @Threads(1)
  public boolean acquireReleaseAlone() {
    return acquireRelease();
  }

  @Benchmark
  @Threads(2)
  public boolean acquireReleaseContended() {
    return acquireRelease();
  }
}
