package dev.knetty.activator;

import dev.knetty.activator.ActivatorMetrics.Rejection;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bounds on waiting requests that Knative lacks (its queue is effectively unbounded, so an
 * activator under backpressure grows until it is OOM-killed, serving#13583): per revision and for
 * the whole activator, on the number of waiting requests and on the request body bytes reserved for
 * them. A request is admitted only if all four hold; otherwise it gets 503 at once. Thread-safe,
 * lock-free.
 */
final class BufferLimits {

  private final int maxWaitingPerRevision;
  private final int maxWaiting;
  private final long maxBytesPerRevision;
  private final long maxBytes;
  private final AtomicInteger waiting = new AtomicInteger();
  private final AtomicLong bytes = new AtomicLong();

  BufferLimits(ActivatorConfig config) {
    this.maxWaitingPerRevision = config.maxWaitingPerRevision();
    this.maxWaiting = config.maxWaiting();
    this.maxBytesPerRevision = config.maxBufferedBytesPerRevision();
    this.maxBytes = config.maxBufferedBytes();
  }

  /**
   * Admits one more waiting request of {@code rev} holding up to {@code reserve} bytes.
   *
   * @return {@code null} if admitted (then call {@link #release} exactly once), else the limit hit
   */
  Rejection tryAdmit(RevisionEntry rev, long reserve) {
    if (!addIfWithin(rev.waiting, maxWaitingPerRevision)) {
      return Rejection.REVISION_REQUESTS;
    }
    if (!addIfWithin(waiting, maxWaiting)) {
      rev.waiting.decrementAndGet();
      return Rejection.ACTIVATOR_REQUESTS;
    }
    if (!addIfWithin(rev.bytes, reserve, maxBytesPerRevision)) {
      rev.waiting.decrementAndGet();
      waiting.decrementAndGet();
      return Rejection.REVISION_BYTES;
    }
    if (!addIfWithin(bytes, reserve, maxBytes)) {
      rev.bytes.addAndGet(-reserve);
      rev.waiting.decrementAndGet();
      waiting.decrementAndGet();
      return Rejection.ACTIVATOR_BYTES;
    }
    return null;
  }

  /** A request admitted with {@code reserve} bytes stopped waiting. */
  void release(RevisionEntry rev, long reserve) {
    rev.waiting.decrementAndGet();
    rev.bytes.addAndGet(-reserve);
    waiting.decrementAndGet();
    bytes.addAndGet(-reserve);
  }

  /** The limit named by {@code reason}, for the 503 text. */
  long limit(Rejection reason) {
    switch (reason) {
      case REVISION_REQUESTS:
        return maxWaitingPerRevision;
      case ACTIVATOR_REQUESTS:
        return maxWaiting;
      case REVISION_BYTES:
        return maxBytesPerRevision;
      case ACTIVATOR_BYTES:
        return maxBytes;
      default:
        throw new IllegalArgumentException(String.valueOf(reason));
    }
  }

  /** Requests waiting, all revisions. */
  int waiting() {
    return waiting.get();
  }

  /** Bytes reserved for waiting requests, all revisions. */
  long bytes() {
    return bytes.get();
  }

  private static boolean addIfWithin(AtomicInteger counter, int max) {
    for (; ; ) {
      int v = counter.get();
      if (v >= max) {
        return false;
      }
      if (counter.compareAndSet(v, v + 1)) {
        return true;
      }
    }
  }

  private static boolean addIfWithin(AtomicLong counter, long delta, long max) {
    for (; ; ) {
      long v = counter.get();
      if (v + delta > max) {
        return false;
      }
      if (counter.compareAndSet(v, v + delta)) {
        return true;
      }
    }
  }
}
