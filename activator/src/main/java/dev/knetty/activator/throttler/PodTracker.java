package dev.knetty.activator.throttler;

import dev.knetty.common.breaker.Breaker;
import dev.knetty.common.breaker.BreakerConfig;
import dev.knetty.common.breaker.Permit;
import dev.knetty.common.proxy.UpstreamTarget;

/**
 * One pod as the throttler sees it (Knative's {@code podTracker}): its address and a breaker used
 * only through non-blocking {@link Breaker#tryReserve() reservations}. With a containerConcurrency
 * of {@code cc > 0} the breaker's capacity is {@code cc}, so this activator never has more than
 * {@code cc} requests on the pod; with {@code cc = 0} it is unlimited and only counts the requests
 * in flight, which is the weight {@code randomChoice2} compares.
 */
final class PodTracker {

  /** Knative's {@code breakerQueueDepth}; it only sizes the pending count, never a structure. */
  private static final int QUEUE_DEPTH = 10_000;

  final UpstreamTarget target;

  /** {@code ip:port} (IPv6 in brackets), the string Knative sorts pods by. */
  final String dest;

  private final Breaker breaker;

  PodTracker(UpstreamTarget target, int capacity) {
    this.target = target;
    this.dest = target.authority();
    this.breaker =
        new Breaker(new BreakerConfig(QUEUE_DEPTH, BreakerConfig.MAX_CAPACITY, capacity));
  }

  /** A slot on this pod now, or {@code null} if it is full (Knative's {@code Reserve}). */
  Permit tryReserve() {
    return breaker.tryReserve();
  }

  /** Requests this activator has on the pod. */
  int inFlight() {
    return breaker.executing();
  }

  /** Knative's {@code resetTrackers}: the per-pod capacity after an update. */
  void capacity(int capacity) {
    breaker.updateConcurrency(capacity);
  }

  int capacity() {
    return breaker.capacity();
  }

  @Override
  public String toString() {
    return dest;
  }
}
