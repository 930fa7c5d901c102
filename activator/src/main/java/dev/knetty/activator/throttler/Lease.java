package dev.knetty.activator.throttler;

import dev.knetty.common.breaker.Permit;
import dev.knetty.common.proxy.UpstreamTarget;

/**
 * What a request holds while it is proxied: a slot of its revision and a slot on one pod. Release
 * it exactly when the request is done; releasing is idempotent. A lease belongs to the request's
 * event loop: use it from there only.
 */
public final class Lease {

  private final RevisionThrottler throttler;
  private PodTracker pod;
  private Permit podPermit;
  private Permit revisionPermit;
  private boolean released;

  Lease(RevisionThrottler throttler) {
    this.throttler = throttler;
  }

  /** The pod to proxy to. */
  public UpstreamTarget target() {
    return pod.target;
  }

  /** Frees the pod slot, then the revision slot (so a waiter woken by it finds the pod free). */
  public void release() {
    if (released) {
      return;
    }
    released = true;
    releasePod();
    if (revisionPermit != null) {
      revisionPermit.release();
    }
  }

  /** Whether {@link #release()} was called. */
  public boolean isReleased() {
    return released;
  }

  void pod(PodTracker tracker, Permit permit) {
    pod = tracker;
    podPermit = permit;
  }

  PodTracker pod() {
    return pod;
  }

  void revisionPermit(Permit permit) {
    revisionPermit = permit;
  }

  /** Takes the pod slot out of this lease without releasing it (a retry may keep it). */
  Permit takePodPermit() {
    Permit p = podPermit;
    podPermit = null;
    return p;
  }

  /** Frees the pod slot only (a retry moves the request to another pod). */
  void releasePod() {
    Permit p = podPermit;
    podPermit = null;
    if (p != null && p.release()) {
      throttler.podReleased();
    }
  }

  @Override
  public String toString() {
    return "Lease{" + pod + (released ? ", released" : "") + '}';
  }
}
