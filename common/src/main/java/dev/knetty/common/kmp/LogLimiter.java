package dev.knetty.common.kmp;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Lets one log line through per interval and counts the ones it holds back, so that a flood of bad
 * peers or failed connects cannot flood the log. Thread-safe.
 */
final class LogLimiter {

  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private final AtomicLong nextNanos;
  private final AtomicLong suppressed = new AtomicLong();

  LogLimiter(Duration interval) {
    this(interval, System::nanoTime);
  }

  LogLimiter(Duration interval, LongSupplier nanoTime) {
    this.intervalNanos = interval.toNanos();
    this.nanoTime = nanoTime;
    this.nextNanos = new AtomicLong(nanoTime.getAsLong());
  }

  /**
   * Whether to log now: {@code -1} for no, else how many events were held back since the last line
   * that was let through (to mention in this one).
   */
  long tryAcquire() {
    long now = nanoTime.getAsLong();
    long next = nextNanos.get();
    if (now - next >= 0 && nextNanos.compareAndSet(next, now + intervalNanos)) {
      return suppressed.getAndSet(0);
    }
    suppressed.incrementAndGet();
    return -1;
  }

  /** {@code " (N more not logged)"} for a positive count, else the empty string. */
  static String suffix(long suppressed) {
    return suppressed > 0 ? " (" + suppressed + " similar events not logged)" : "";
  }
}
