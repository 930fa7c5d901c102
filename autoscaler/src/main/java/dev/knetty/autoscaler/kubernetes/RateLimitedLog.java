package dev.knetty.autoscaler.kubernetes;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** Lets at most one log line through per interval, so bad input cannot flood the log. */
public final class RateLimitedLog {

  private final long intervalNanos;
  private final AtomicLong lastNanos;

  /** At most one line per {@code interval}. */
  public RateLimitedLog(Duration interval) {
    this.intervalNanos = interval.toNanos();
    this.lastNanos = new AtomicLong(System.nanoTime() - intervalNanos);
  }

  /** True if the caller may log now. */
  public boolean tryAcquire() {
    long last = lastNanos.get();
    long now = System.nanoTime();
    return now - last >= intervalNanos && lastNanos.compareAndSet(last, now);
  }
}
