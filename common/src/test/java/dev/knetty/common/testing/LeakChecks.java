package dev.knetty.common.testing;

import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/** Forces the leak detector to look at every buffer that is already garbage, now. */
public final class LeakChecks {

  private LeakChecks() {}

  /**
   * Collects garbage, waits until the reference handler has enqueued what the collection found,
   * then makes the ByteBuf detector poll its queue. Returns (and forgets) the leaks that match
   * {@code which}; other leaks stay to be reported by {@link LeakCheckExtension}.
   */
  public static List<String> collectLeaks(Predicate<String> which) {
    for (int round = 0; round < 3; round++) {
      ReferenceQueue<Object> queue = new ReferenceQueue<>();
      WeakReference<Object> canary = new WeakReference<>(new Object(), queue);
      await()
          // Generous: on a loaded machine a full collection can take seconds.
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                System.gc();
                return queue.poll() != null;
              });
      canary.clear();
      // In paranoid mode every allocation is tracked, and tracking first reports what the
      // detector's reference queue holds.
      ByteBuf probe = UnpooledByteBufAllocator.DEFAULT.directBuffer(1);
      probe.release();
    }
    return CountingLeakDetector.drain(which);
  }

  /** Collects and returns every leak reported so far. */
  public static List<String> collectLeaks() {
    return collectLeaks(report -> true);
  }

  /** Fails unless this JVM runs with paranoid detection through {@link CountingLeakDetector}. */
  public static void assertDetectionInstalled() {
    if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
      throw new AssertionError(
          "tests must run with -Dio.netty.leakDetection.level=paranoid, not "
              + ResourceLeakDetector.getLevel());
    }
    ResourceLeakDetector<?> detector =
        ResourceLeakDetectorFactory.instance().newResourceLeakDetector(LeakChecks.class);
    if (!(detector instanceof CountingLeakDetector)) {
      throw new AssertionError(
          "tests must run with -Dio.netty.customResourceLeakDetector="
              + CountingLeakDetector.class.getName()
              + ", got "
              + detector.getClass().getName());
    }
  }
}
