package dev.knetty.common.proxy;

import java.time.Duration;
import java.util.Objects;

/**
 * The three request timeouts of Knative's timeout handler ({@code pkg/http/handler/timeout.go}),
 * all measured from the exchange's arrival, so time spent waiting for a breaker permit counts.
 *
 * @param total the overall limit; {@link Duration#ZERO} disables it
 * @param responseStart the limit for the response to start; {@link Duration#ZERO} disables it
 * @param idle the longest time without a write to the client (before the first write: since
 *     arrival); {@link Duration#ZERO} disables it
 * @param message the 504 body ({@value #QUEUE_PROXY_MESSAGE} or {@value #ACTIVATOR_MESSAGE})
 */
public record ExchangeTimeouts(
    Duration total, Duration responseStart, Duration idle, String message) {

  /** The queue-proxy's timeout body. */
  public static final String QUEUE_PROXY_MESSAGE = "request timeout";

  /** The activator's timeout body. */
  public static final String ACTIVATOR_MESSAGE = "activator request timeout";

  /** Knative's revision defaults: 300 s total, response-start and idle disabled. */
  public static final ExchangeTimeouts DEFAULT =
      new ExchangeTimeouts(
          Duration.ofSeconds(300), Duration.ZERO, Duration.ZERO, QUEUE_PROXY_MESSAGE);

  public ExchangeTimeouts {
    requireNonNegative(total, "total");
    requireNonNegative(responseStart, "responseStart");
    requireNonNegative(idle, "idle");
    Objects.requireNonNull(message, "message");
  }

  /** The timeouts in whole seconds, as Knative's revision spec carries them. */
  public static ExchangeTimeouts ofSeconds(
      long totalSeconds, long responseStartSeconds, long idleSeconds, String message) {
    return new ExchangeTimeouts(
        Duration.ofSeconds(totalSeconds),
        Duration.ofSeconds(responseStartSeconds),
        Duration.ofSeconds(idleSeconds),
        message);
  }

  private static void requireNonNegative(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + ": " + d + " (expected: >= 0)");
    }
  }
}
