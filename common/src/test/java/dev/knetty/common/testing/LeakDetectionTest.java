package dev.knetty.common.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Proves that a leaked buffer is caught, not just logged. */
class LeakDetectionTest {

  @Test
  void detectionIsInstalledInEveryTestJvm() {
    LeakChecks.assertDetectionInstalled();
  }

  @Test
  void aLeakedBufferIsReported() {
    leakOnPurpose();

    List<String> leaks = LeakChecks.collectLeaks(report -> report.contains("leakOnPurpose"));

    // Had this test not taken the report, LeakCheckExtension would fail this class with it.
    assertThat(leaks).hasSize(1);
    assertThat(leaks.get(0)).startsWith("LEAK of ByteBuf").contains("leakOnPurpose");
  }

  @Test
  void releasedBuffersAreNotReported() {
    ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(64);
    buf.writeLong(42);
    buf.release();

    assertThat(LeakChecks.collectLeaks(report -> report.contains("releasedBuffersAreNotReported")))
        .isEmpty();
  }

  private static void leakOnPurpose() {
    ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(64);
    buf.writeLong(42); // touched, so the record names this method; never released
  }
}
