package dev.knetty.common.kmp;

import java.time.Duration;

/**
 * Jittered exponential backoff: attempt {@code n} (from 0) waits {@code min(maxDelay, initialDelay
 * * multiplier^n) * (1 - jitter * r)} with {@code r} uniform in [0, 1). The jitter only shortens a
 * delay, so {@code maxDelay} holds, and it spreads the reconnects of many clients after an
 * autoscaler restart.
 *
 * @param initialDelay the first delay, at least 1 ms
 * @param maxDelay the longest delay, at least {@code initialDelay}
 * @param multiplier the growth per attempt, at least 1
 * @param jitter the fraction of a delay that is randomized, 0 to 1
 */
public record Backoff(Duration initialDelay, Duration maxDelay, double multiplier, double jitter) {

  /** 100 ms, doubling up to 10 s, each delay randomized over its lower half. */
  public static final Backoff DEFAULT =
      new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), 2.0, 0.5);

  public Backoff {
    Checks.positiveMillis("initialDelay", initialDelay);
    Checks.positiveMillis("maxDelay", maxDelay);
    if (maxDelay.compareTo(initialDelay) < 0) {
      throw new IllegalArgumentException(
          "maxDelay: " + maxDelay + " (expected: >= initialDelay " + initialDelay + ")");
    }
    if (!(multiplier >= 1) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException(
          "multiplier: " + multiplier + " (expected: a finite number >= 1)");
    }
    if (!(jitter >= 0 && jitter <= 1)) {
      throw new IllegalArgumentException("jitter: " + jitter + " (expected: 0 to 1)");
    }
  }

  /**
   * The delay before attempt {@code attempt} (0 for the first retry), in milliseconds, at least 1.
   *
   * @param random a number in [0, 1), e.g. {@code ThreadLocalRandom.current().nextDouble()}
   */
  public long delayMillis(int attempt, double random) {
    Checks.atLeast("attempt", attempt, 0);
    double base =
        Math.min(maxDelay.toMillis(), initialDelay.toMillis() * Math.pow(multiplier, attempt));
    return Math.max(1, Math.round(base * (1 - jitter * random)));
  }
}
