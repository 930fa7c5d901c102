package dev.knetty.common.stats;

import java.util.Objects;

/**
 * Per-window request concurrency and counts, exactly Knative's {@code RequestStats} ({@code
 * knative.dev/networking/pkg/http/stats/request.go}; knative-dataplane.md §1.5), used by the
 * queue-proxy for its pod and by the activator per revision.
 *
 * <p>Concurrency is integrated over time between events: each event (and each report) first adds
 * {@code concurrency × seconds since the last change} to the window, then applies itself. A time
 * earlier than or equal to the last change adds nothing (events from several threads arrive
 * slightly out of order; Knative ignores such negative durations as rounding noise), but the event
 * still counts. A proxied request counts in both the proxied and the total figures. Concurrency is
 * state and carries over from window to window; the counts and integrals are reset by every report.
 *
 * <p>Times are {@code long} nanoseconds on one monotonic clock (e.g. {@link System#nanoTime()}),
 * passed in by the caller so tests and reporting ticks control them. Thread-safe: every method
 * takes one short lock and does no I/O.
 */
public final class RequestStats {

  /** The request events, as Knative's {@code ReqEventType}. */
  public enum Event {
    /** A request arrived. */
    REQ_IN,
    /** A request finished. */
    REQ_OUT,
    /** A request through the activator ({@code K-Proxy-Request: activator}) arrived. */
    PROXIED_IN,
    /** A proxied request finished. */
    PROXIED_OUT
  }

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final Object lock = new Object();

  // State, carried across windows.
  private long concurrency;
  private long proxiedConcurrency;
  private long lastChangeNanos;

  // The current window, reset by report().
  private long requestCount;
  private long proxiedCount;
  private double computedConcurrency;
  private double computedProxiedConcurrency;
  private double secondsInUse;

  /** Stats whose first window starts at {@code startNanos}. */
  public RequestStats(long startNanos) {
    this.lastChangeNanos = startNanos;
  }

  /** Records {@code event} at {@code nanos} (Knative's {@code HandleEvent}). */
  public void handleEvent(Event event, long nanos) {
    Objects.requireNonNull(event, "event");
    synchronized (lock) {
      compute(nanos);
      switch (event) {
        case PROXIED_IN:
          proxiedConcurrency++;
          proxiedCount++;
          requestCount++;
          concurrency++;
          break;
        case REQ_IN:
          requestCount++;
          concurrency++;
          break;
        case PROXIED_OUT:
          proxiedConcurrency--;
          concurrency--;
          break;
        case REQ_OUT:
          concurrency--;
          break;
        default:
          throw new AssertionError(event);
      }
    }
  }

  /**
   * Closes the window at {@code nowNanos}: returns its averages and counts and starts the next one
   * (Knative's {@code Report}). A window that covered no time has averages of 0.
   */
  public RequestStatsReport report(long nowNanos) {
    synchronized (lock) {
      compute(nowNanos);
      double average = 0;
      double proxiedAverage = 0;
      if (secondsInUse > 0) {
        average = computedConcurrency / secondsInUse;
        proxiedAverage = computedProxiedConcurrency / secondsInUse;
      }
      RequestStatsReport report =
          new RequestStatsReport(average, proxiedAverage, requestCount, proxiedCount);
      computedConcurrency = 0;
      computedProxiedConcurrency = 0;
      requestCount = 0;
      proxiedCount = 0;
      secondsInUse = 0;
      return report;
    }
  }

  private void compute(long nowNanos) {
    long sinceChange = nowNanos - lastChangeNanos;
    if (sinceChange > 0) {
      double seconds = seconds(sinceChange);
      secondsInUse += seconds;
      computedConcurrency += concurrency * seconds;
      computedProxiedConcurrency += proxiedConcurrency * seconds;
      lastChangeNanos = nowNanos;
    }
  }

  /** Go's {@code Duration.Seconds()}, operation for operation, so results match Knative's bits. */
  private static double seconds(long nanos) {
    long whole = nanos / NANOS_PER_SECOND;
    long rest = nanos % NANOS_PER_SECOND;
    return whole + rest / 1e9;
  }
}
