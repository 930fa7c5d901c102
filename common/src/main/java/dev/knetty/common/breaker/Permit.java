package dev.knetty.common.breaker;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One execution slot of a {@link Breaker}. Release it exactly when the request is done (response
 * finished, or failed, or the client went away); releasing is idempotent, so every path that ends a
 * request may call it.
 */
public final class Permit implements AutoCloseable {

  private static final AtomicIntegerFieldUpdater<Permit> RELEASED =
      AtomicIntegerFieldUpdater.newUpdater(Permit.class, "released");

  private final Breaker breaker;
  private volatile int released;

  Permit(Breaker breaker) {
    this.breaker = breaker;
  }

  /**
   * Frees the slot (and the request's place in the pending count) and hands it to the next waiter,
   * if any.
   *
   * @return {@code true} if this call released the permit, {@code false} if it was released before
   */
  public boolean release() {
    if (RELEASED.compareAndSet(this, 0, 1)) {
      breaker.releaseSlot();
      return true;
    }
    return false;
  }

  /** Same as {@link #release()}, for try-with-resources. */
  @Override
  public void close() {
    release();
  }

  /** Whether {@link #release()} was called. */
  public boolean isReleased() {
    return released != 0;
  }

  @Override
  public String toString() {
    return "Permit{" + (isReleased() ? "released" : "held") + ", " + breaker + '}';
  }
}
