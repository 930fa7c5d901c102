package dev.knetty.common.proxy;

import java.time.Duration;
import java.util.Objects;

/**
 * A policy's answer to a failed upstream connection: try {@code target} after {@code backoff}, or
 * give up ({@link #giveUp()}, the engine then answers 502).
 *
 * @param target the next target, or {@code null} to give up
 * @param backoff the pause before the next attempt (time on the exchange's event loop, no thread
 *     blocks); counts against the exchange's timeouts
 */
public record Retry(UpstreamTarget target, Duration backoff) {

  private static final Retry GIVE_UP = new Retry(null, Duration.ZERO);

  public Retry {
    Objects.requireNonNull(backoff, "backoff");
    if (backoff.isNegative()) {
      throw new IllegalArgumentException("backoff: " + backoff + " (expected: >= 0)");
    }
  }

  /** No further attempt: the exchange is answered with 502. */
  public static Retry giveUp() {
    return GIVE_UP;
  }

  /** Try {@code target} now. */
  public static Retry to(UpstreamTarget target) {
    return new Retry(Objects.requireNonNull(target, "target"), Duration.ZERO);
  }

  /** Try {@code target} after {@code backoff}. */
  public static Retry to(UpstreamTarget target, Duration backoff) {
    return new Retry(Objects.requireNonNull(target, "target"), backoff);
  }

  /** Whether this is {@link #giveUp()}. */
  public boolean isGiveUp() {
    return target == null;
  }
}
