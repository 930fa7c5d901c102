package dev.knetty.queueproxy;

import dev.knetty.common.proxy.ExchangeOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The queue-proxy's own meters, registered once (naming: {@code dev.knetty.common.metrics}). No tag
 * is chosen per request beyond the status class and fixed reasons.
 *
 * <ul>
 *   <li>{@code queueproxy.requests{code_class}}: requests answered, by 1xx..5xx ({@code none} when
 *       no status was sent, e.g. the client went away first); probes excluded
 *   <li>{@code queueproxy.request.duration}: arrival to completion, percentile histogram
 *   <li>{@code queueproxy.queue.depth}: requests waiting for a breaker slot
 *   <li>{@code queueproxy.executing}: requests forwarded to the app and not done
 *   <li>{@code queueproxy.breaker.rejections}: 503 {@code pending request queue full}
 *   <li>{@code queueproxy.timeouts}, {@code queueproxy.client.aborts}
 *   <li>{@code queueproxy.upstream.errors{reason=connect|upstream}}: 502s and cut responses
 *   <li>{@code queueproxy.probes{result}}: health checks and network probes answered
 * </ul>
 */
final class QueueProxyMetrics {

  /** What a probe was answered with. */
  enum ProbeResult {
    READY,
    NOT_READY,
    DRAINING,
    BAD_REQUEST,
    NETWORK_PROBE;

    String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Counter[] byClass = new Counter[7];
  private final Timer duration;
  private final Counter rejections;
  private final Counter timeouts;
  private final Counter clientAborts;
  private final Counter connectErrors;
  private final Counter upstreamErrors;
  private final Map<ProbeResult, Counter> probes = new EnumMap<>(ProbeResult.class);

  QueueProxyMetrics(
      MeterRegistry registry,
      Supplier<Number> waiting,
      Supplier<Number> executing,
      Duration maxExpectedLatency) {
    String[] classes = {"none", "1xx", "2xx", "3xx", "4xx", "5xx", "other"};
    for (int i = 0; i < classes.length; i++) {
      byClass[i] =
          Counter.builder("queueproxy.requests")
              .description("Requests answered (probes excluded), by status class")
              .tag("code_class", classes[i])
              .register(registry);
    }
    duration =
        Timer.builder("queueproxy.request.duration")
            .description("From arrival (breaker wait included) to the end of the response")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(maxExpectedLatency)
            .register(registry);
    Gauge.builder("queueproxy.queue.depth", waiting)
        .description("Requests waiting for a breaker slot")
        .register(registry);
    Gauge.builder("queueproxy.executing", executing)
        .description("Requests forwarded to the app and not finished")
        .register(registry);
    rejections =
        Counter.builder("queueproxy.breaker.rejections")
            .description("Requests answered 503 because the breaker queue was full")
            .register(registry);
    timeouts =
        Counter.builder("queueproxy.timeouts")
            .description("Requests ended by a revision timeout (504 or cut)")
            .register(registry);
    clientAborts =
        Counter.builder("queueproxy.client.aborts")
            .description("Requests whose client went away before the response was complete")
            .register(registry);
    connectErrors =
        Counter.builder("queueproxy.upstream.errors")
            .description("Requests the app could not be connected to (502)")
            .tag("reason", "connect")
            .register(registry);
    upstreamErrors =
        Counter.builder("queueproxy.upstream.errors")
            .description("Requests the app failed after they were sent (502 or cut)")
            .tag("reason", "upstream")
            .register(registry);
    for (ProbeResult r : ProbeResult.values()) {
      probes.put(
          r,
          Counter.builder("queueproxy.probes")
              .description("Health checks and network probes answered by the queue-proxy")
              .tag("result", r.tag())
              .register(registry));
    }
  }

  /** A breaker rejection (the exchange itself is counted by {@link #completed}). */
  void rejected() {
    rejections.increment();
  }

  void probe(ProbeResult result) {
    probes.get(result).increment();
  }

  /** A request (not a probe) ended. */
  void completed(ExchangeOutcome outcome) {
    int status = outcome.status();
    byClass[status == 0 ? 0 : status >= 100 && status < 600 ? status / 100 : 6].increment();
    duration.record(outcome.durationNanos(), TimeUnit.NANOSECONDS);
    switch (outcome.kind()) {
      case TIMEOUT:
        timeouts.increment();
        break;
      case CLIENT_ABORT:
        clientAborts.increment();
        break;
      case CONNECT_FAILED:
        connectErrors.increment();
        break;
      case UPSTREAM_ERROR:
        upstreamErrors.increment();
        break;
      default:
        break;
    }
  }
}
