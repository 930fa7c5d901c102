package dev.knetty.autoscaler.kubernetes.webhook;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** Lets at most one log line through per interval, so bad input cannot flood the log. */
final class RateLimitedLog {

  private final long intervalNanos;
  private final AtomicLong lastNanos;

  RateLimitedLog(Duration interval) {
    this.intervalNanos = interval.toNanos();
    this.lastNanos = new AtomicLong(System.nanoTime() - intervalNanos);
  }

  /** True if the caller may log now. */
  boolean tryAcquire() {
    long last = lastNanos.get();
    long now = System.nanoTime();
    return now - last >= intervalNanos && lastNanos.compareAndSet(last, now);
  }
}
