package dev.knetty.common.testing;

import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;

/**
 * A {@link ResourceLeakDetector} that remembers every leak it reports, so that a leak fails the
 * build instead of scrolling by as a log line. Installed in every test JVM by the parent pom
 * ({@code -Dio.netty.customResourceLeakDetector}); {@link LeakCheckExtension} drains it after each
 * test class.
 */
public final class CountingLeakDetector<T> extends ResourceLeakDetector<T> {

  // Test-only process-wide sink: Netty creates one detector per resource type by reflection, so
  // the reports of all of them must meet somewhere static.
  private static final ConcurrentLinkedQueue<String> REPORTS = new ConcurrentLinkedQueue<>();

  public CountingLeakDetector(Class<?> resourceType, int samplingInterval) {
    super(resourceType, samplingInterval);
  }

  /** The constructor Netty's factory tries first; {@code maxActive} is unused by Netty too. */
  public CountingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
    this(resourceType, samplingInterval);
  }

  @Override
  protected void reportTracedLeak(String resourceType, String records) {
    REPORTS.add("LEAK of " + resourceType + ":" + records);
    super.reportTracedLeak(resourceType, records);
  }

  @Override
  protected void reportUntracedLeak(String resourceType) {
    REPORTS.add("LEAK of " + resourceType + " (no records)");
    super.reportUntracedLeak(resourceType);
  }

  /** Removes and returns the reports that match; the others stay for the next check. */
  static List<String> drain(Predicate<String> which) {
    List<String> taken = new ArrayList<>();
    REPORTS.removeIf(
        report -> {
          if (which.test(report)) {
            taken.add(report);
            return true;
          }
          return false;
        });
    return taken;
  }
}
