package dev.knetty.common.breaker;

/**
 * The breaker already holds {@link BreakerConfig#totalSlots()} requests: Knative's {@code
 * ErrRequestQueueFull}, answered with 503 and the body {@value #MESSAGE}. Overload is an expected
 * outcome, not a bug, so the exception carries no stack trace and costs no more than an allocation.
 */
public final class QueueFullException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Knative's error text, which its queue-proxy writes as the 503 body. */
  public static final String MESSAGE = "pending request queue full";

  public QueueFullException() {
    super(MESSAGE, null, false, false);
  }
}
