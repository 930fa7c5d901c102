package dev.knetty.queueproxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Knative's {@code Drainer} ({@code knative.dev/pkg/network/handlers/drain.go};
 * knative-dataplane.md §1.7): once {@link #drain()} is called, health checks answer 503 {@code
 * shutting down}, and the returned future completes when no request arrived for the quiet period;
 * every request restarts the period.
 *
 * <p>The request path only writes a volatile timestamp ({@link #requestArrived()}); the timer, on
 * one event loop, re-arms itself for what is left of the period when it finds a newer request,
 * which is Knative's "reset the timer on every request" without rescheduling per request.
 */
final class Drainer {

  private final EventExecutor executor;
  private final long quietNanos;
  private final LongSupplier clock;
  private final Object lock = new Object();

  private volatile boolean draining;
  private volatile long lastRequestNanos;

  // Guarded by lock.
  private CompletableFuture<Void> quiet;
  private ScheduledFuture<?> timer;
  private boolean elapsed;

  Drainer(EventExecutor executor, Duration quietPeriod) {
    this(executor, quietPeriod, System::nanoTime);
  }

  /** With {@code clock} (nanoseconds) deciding whether the period passed; for tests. */
  Drainer(EventExecutor executor, Duration quietPeriod, LongSupplier clock) {
    this.executor = executor;
    this.quietNanos = quietPeriod.toNanos();
    this.clock = clock;
  }

  /** Whether health checks should answer {@code shutting down}. */
  boolean isDraining() {
    return draining;
  }

  /** A non-probe request arrived: restarts the quiet period if draining. Cheap; any thread. */
  void requestArrived() {
    if (draining) {
      lastRequestNanos = clock.getAsLong();
    }
  }

  /**
   * Starts draining if not yet (Knative's {@code Drain}); the future completes once the quiet
   * period has passed without a request, or at once on {@link #reset()}. Every caller gets the same
   * future until a reset.
   */
  CompletableFuture<Void> drain() {
    synchronized (lock) {
      if (quiet == null) {
        quiet = new CompletableFuture<>();
        elapsed = false;
        lastRequestNanos = clock.getAsLong();
        draining = true;
        schedule(quietNanos);
      }
      return quiet;
    }
  }

  /**
   * Knative's {@code Reset} (the {@code /wait-for-drain} call was not followed by SIGTERM: a
   * liveness restart): pending {@link #drain()} futures complete at once, and unless the quiet
   * period had already elapsed, draining stops.
   */
  void reset() {
    CompletableFuture<Void> done;
    synchronized (lock) {
      done = quiet;
      quiet = null;
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
      if (!elapsed) {
        draining = false;
      }
    }
    if (done != null) {
      done.complete(null);
    }
  }

  private void schedule(long delayNanos) {
    timer = executor.schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
  }

  /** The timer's task: ends the drain, or re-arms for what is left of the period. */
  void check() {
    CompletableFuture<Void> done;
    synchronized (lock) {
      if (quiet == null || quiet.isDone()) {
        return;
      }
      long left = quietNanos - (clock.getAsLong() - lastRequestNanos);
      if (left > 0) {
        schedule(left);
        return;
      }
      timer = null;
      elapsed = true;
      done = quiet;
    }
    done.complete(null);
  }
}
