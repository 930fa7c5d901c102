package dev.knetty.common.log;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Lets up to {@code burst} log lines through per interval and counts the ones it holds back, so
 * that a flood of bad input, failed connects or misbehaving peers cannot flood the log. The line
 * that goes through after a quiet spell can say how many were held back ({@link #suffix(long)}).
 * Thread-safe and allocation-free.
 */
public final class LogLimiter {

  private final long intervalNanos;
  private final int burst;
  private final LongSupplier nanoTime;
  private final AtomicLong windowEnd;
  private final AtomicLong inWindow = new AtomicLong();
  private final AtomicLong held = new AtomicLong();

  /** At most one line per {@code interval}. */
  public LogLimiter(Duration interval) {
    this(interval, 1);
  }

  /** At most {@code burst} lines per {@code interval}. */
  public LogLimiter(Duration interval, int burst) {
    this(interval, burst, System::nanoTime);
  }

  /** With a clock, for tests. */
  public LogLimiter(Duration interval, int burst, LongSupplier nanoTime) {
    if (interval.isNegative()) {
      throw new IllegalArgumentException("interval: " + interval + " (expected: >= 0)");
    }
    if (burst < 1) {
      throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
    }
    this.intervalNanos = interval.toNanos();
    this.burst = burst;
    this.nanoTime = nanoTime;
    this.windowEnd = new AtomicLong(nanoTime.getAsLong());
  }

  /**
   * Whether to log now: {@code -1} for no, else how many lines were held back since the last one
   * let through (to mention in this one, see {@link #suffix(long)}).
   */
  public long tryAcquire() {
    long now = nanoTime.getAsLong();
    long end = windowEnd.get();
    if (now - end >= 0 && windowEnd.compareAndSet(end, now + intervalNanos)) {
      inWindow.set(0);
    }
    if (inWindow.incrementAndGet() <= burst) {
      return held.getAndSet(0);
    }
    held.incrementAndGet();
    return -1;
  }

  /** {@code " (N similar lines not logged)"} for a positive count, else the empty string. */
  public static String suffix(long held) {
    return held > 0 ? " (" + held + " similar lines not logged)" : "";
  }
}
