package dev.knetty.activator.throttler;

/**
 * The throttler was closed (its revision is gone) while a request waited for it. Expected, so it
 * carries no stack trace.
 */
public final class ThrottlerClosedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  ThrottlerClosedException() {
    super("revision throttler closed", null, false, false);
  }
}
