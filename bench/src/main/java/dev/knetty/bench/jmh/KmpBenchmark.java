package dev.knetty.bench.jmh;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.kmp.KmpDecoder;
import dev.knetty.common.kmp.KmpEncoder;
import dev.knetty.common.kmp.KmpMessage;
import dev.knetty.common.kmp.KmpProtocol;
import dev.knetty.common.kmp.Stat;
import dev.knetty.common.kmp.StatBatch;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * KMP's STATS frame as a queue-proxy sends it every second and the autoscaler reads it: a batch of
 * {@code stats} stats (distinct revisions and pods) encoded and decoded in the steady state of a
 * connection, when every revision and pod already has its dictionary id (the definitions go once
 * per connection). Per operation: one whole batch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-XX:+UseSerialGC"})
public class KmpBenchmark {

  /** 1: one queue-proxy's report; 100: an activator's or a batch at the autoscaler. */
  @Param({"1", "100"})
  int stats;

  private KmpEncoder encoder;
  private KmpDecoder decoder;
  private StatBatch batch;
  private ByteBuf out;
  private ByteBuf steadyFrame;

  @Setup(Level.Trial)
  public void setUp() {
    List<Stat> list = new ArrayList<>();
    for (int i = 0; i < stats; i++) {
      list.add(
          new Stat(
              new RevisionKey("default", "hello-" + i),
              "hello-" + i + "-deployment-5f7b9c6d4-x2x9q",
              1_700_000_000_000L + i,
              3.25,
              0.5,
              41.0,
              2.0,
              3600));
    }
    batch = new StatBatch(list);
    encoder = new KmpEncoder(KmpProtocol.DEFAULT_MAX_FRAME_LENGTH, 65_536);
    decoder = new KmpDecoder(65_536);
    out = Unpooled.directBuffer(1 << 16);
    // The first frame carries the definitions; decode it so that the decoder knows the ids.
    encoder.encode(batch, out);
    decoder.decodeFrame(out, KmpProtocol.DEFAULT_MAX_FRAME_LENGTH);
    out.clear();
    encoder.encode(batch, out);
    steadyFrame = Unpooled.copiedBuffer(out);
    out.clear();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    out.release();
    steadyFrame.release();
  }

  /** One batch encoded into a reused buffer. */
  @Benchmark
  public int encode() {
    out.clear();
    encoder.encode(batch, out);
    return out.writerIndex();
  }

  /** One batch decoded from its frame. */
  @Benchmark
  public KmpMessage decode() {
    return decoder.decodeFrame(steadyFrame.duplicate(), KmpProtocol.DEFAULT_MAX_FRAME_LENGTH);
  }
}
