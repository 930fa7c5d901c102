package dev.knetty.autoscaler.server;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Lets up to {@code burst} log lines through per interval and counts the rest, so that a flood of
 * bad input cannot flood the log. Thread-safe and allocation-free.
 */
final class LogLimiter {

  private final long intervalNanos;
  private final int burst;
  private final LongSupplier nanoTime;
  private final AtomicLong windowEnd;
  private final AtomicLong inWindow = new AtomicLong();
  private final AtomicLong held = new AtomicLong();

  LogLimiter(Duration interval, int burst) {
    this(interval, burst, System::nanoTime);
  }

  LogLimiter(Duration interval, int burst, LongSupplier nanoTime) {
    this.intervalNanos = interval.toNanos();
    this.burst = burst;
    this.nanoTime = nanoTime;
    this.windowEnd = new AtomicLong(nanoTime.getAsLong());
  }

  /** -1 to stay quiet; else log now, mentioning this many lines held back since the last one. */
  long tryAcquire() {
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

  /** {@code " (N more not logged)"} for a positive count, else the empty string. */
  static String suffix(long held) {
    return held > 0 ? " (" + held + " similar lines not logged)" : "";
  }
}
