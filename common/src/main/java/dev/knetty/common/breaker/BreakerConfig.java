package dev.knetty.common.breaker;

/**
 * The parameters of a {@link Breaker}, validated as Knative's {@code NewBreaker} does
 * (knative-dataplane.md §1.4).
 *
 * @param queueDepth how many requests may wait for a slot on top of {@code maxConcurrency}; &gt; 0
 * @param maxConcurrency the largest number of requests expected to execute at once; &ge; 0. It only
 *     sizes the pending-request limit ({@code queueDepth + maxConcurrency}) and bounds {@code
 *     initialCapacity}; it may be {@link #MAX_CAPACITY} (the activator's per-revision breaker) and
 *     never sizes a data structure.
 * @param initialCapacity the capacity the breaker starts with; between 0 and {@code maxConcurrency}
 */
public record BreakerConfig(int queueDepth, int maxConcurrency, int initialCapacity) {

  /** Knative's {@code MaxBreakerCapacity}: the largest capacity a breaker can have. */
  public static final int MAX_CAPACITY = Integer.MAX_VALUE;

  /** Knative's queue-proxy queue depth per unit of container concurrency ({@code buildBreaker}). */
  public static final int QUEUE_PROXY_QUEUE_DEPTH_FACTOR = 10;

  public BreakerConfig {
    if (queueDepth <= 0) {
      throw new IllegalArgumentException("queueDepth: " + queueDepth + " (expected: > 0)");
    }
    if (maxConcurrency < 0) {
      throw new IllegalArgumentException("maxConcurrency: " + maxConcurrency + " (expected: >= 0)");
    }
    if (initialCapacity < 0 || initialCapacity > maxConcurrency) {
      throw new IllegalArgumentException(
          "initialCapacity: "
              + initialCapacity
              + " (expected: >= 0 and <= maxConcurrency "
              + maxConcurrency
              + ")");
    }
  }

  /**
   * The queue-proxy's breaker for a container concurrency {@code cc} (Knative's {@code
   * buildBreaker}): queue depth {@code 10·cc}, max concurrency and initial capacity {@code cc}, so
   * the {@code 11·cc + 1}-th concurrent request is rejected. A {@code cc} of 0 means unlimited: the
   * queue-proxy then runs without a breaker, which is why 0 is rejected here.
   */
  public static BreakerConfig forContainerConcurrency(int containerConcurrency) {
    if (containerConcurrency < 1
        || containerConcurrency > Integer.MAX_VALUE / QUEUE_PROXY_QUEUE_DEPTH_FACTOR) {
      throw new IllegalArgumentException(
          "containerConcurrency: "
              + containerConcurrency
              + " (expected: >= 1 and <= "
              + Integer.MAX_VALUE / QUEUE_PROXY_QUEUE_DEPTH_FACTOR
              + "; 0 means no breaker)");
    }
    return new BreakerConfig(
        QUEUE_PROXY_QUEUE_DEPTH_FACTOR * containerConcurrency,
        containerConcurrency,
        containerConcurrency);
  }

  /**
   * The most requests the breaker holds at once, waiting or executing: {@code queueDepth +
   * maxConcurrency} (a {@code long}: both may be near {@code 2^31}).
   */
  public long totalSlots() {
    return (long) queueDepth + maxConcurrency;
  }
}
