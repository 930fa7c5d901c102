package dev.knetty.bench.load;

import dev.knetty.bench.GoDurations;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One load phase against one loopback target.
 *
 * <p><b>Open loop</b> ({@link Mode#OPEN_LOOP}): request {@code i} is due at {@code start + i /
 * rate}, whatever happened to earlier requests, and its latency counts from that intended time, so
 * a stalled server shows up in the percentiles (no coordinated omission). A due request that finds
 * no free connection waits in a queue of at most {@code maxQueued} requests, its latency still
 * counting; beyond that bound it fails at once as {@link ErrorKind#QUEUE_FULL} (the generator, not
 * the target, is then the bottleneck: add connections).
 *
 * <p><b>Closed loop</b> ({@link Mode#CLOSED_LOOP}): {@code concurrency} workers, each sending its
 * next request when the previous one completes, for maximum throughput. Over HTTP/1.1 the workers
 * share {@code connections} connections; over h2c they are streams spread over them.
 *
 * <p>Requests due (open loop) or started (closed loop) during the {@code warmup} are sent but not
 * counted. Every request gives up after {@code requestTimeout}, counted from its intended time. The
 * hard caps ({@link #MAX_DURATION}, {@link #MAX_REQUESTS}, ...) bound every run.
 *
 * @param name label for reports and plot legends
 * @param target an {@code http://} URL whose host must resolve to loopback addresses only
 * @param headers extra request headers (e.g. {@code Host} to route through a proxy)
 */
public record LoadSpec(
    String name,
    URI target,
    Protocol protocol,
    Mode mode,
    double rate,
    Duration duration,
    Duration warmup,
    int connections,
    int concurrency,
    int maxStreamsPerConnection,
    Duration requestTimeout,
    int maxQueued,
    long maxRequests,
    Map<String, String> headers) {

  /** The wire protocol. */
  public enum Protocol {
    HTTP_1_1,
    /** HTTP/2 over cleartext with prior knowledge. */
    H2C;

    /** {@code h1} or {@code h2c}, for reports. */
    public String label() {
      return this == HTTP_1_1 ? "h1" : "h2c";
    }
  }

  /** Constant rate, or as fast as responses come back. */
  public enum Mode {
    OPEN_LOOP,
    CLOSED_LOOP
  }

  /** Hard caps: no spec may exceed them. */
  public static final Duration MAX_DURATION = Duration.ofHours(1);

  public static final Duration MAX_WARMUP = Duration.ofMinutes(10);
  public static final Duration MAX_REQUEST_TIMEOUT = Duration.ofMinutes(10);
  public static final double MAX_RATE = 1_000_000;
  public static final int MAX_CONNECTIONS = 10_000;
  public static final int MAX_CONCURRENCY = 10_000;
  public static final int MAX_QUEUED = 1_000_000;
  public static final long MAX_REQUESTS = 100_000_000;

  public LoadSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(warmup, "warmup");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    headers = Map.copyOf(Objects.requireNonNull(headers, "headers"));
    if (!"http".equalsIgnoreCase(target.getScheme()) || target.getHost() == null) {
      throw new IllegalArgumentException("target: " + target + " (expected: an http:// URL)");
    }
    if (mode == Mode.OPEN_LOOP && !(rate > 0 && rate <= MAX_RATE)) {
      throw new IllegalArgumentException(
          "rate: " + rate + " (expected: > 0 and <= " + (long) MAX_RATE + " requests/s)");
    }
    within("duration", duration, Duration.ofMillis(1), MAX_DURATION);
    within("warmup", warmup, Duration.ZERO, MAX_WARMUP);
    within("requestTimeout", requestTimeout, Duration.ofMillis(1), MAX_REQUEST_TIMEOUT);
    within("connections", connections, 1, MAX_CONNECTIONS);
    within("concurrency", concurrency, 1, MAX_CONCURRENCY);
    within("maxStreamsPerConnection", maxStreamsPerConnection, 1, MAX_CONCURRENCY);
    within("maxQueued", maxQueued, 0, MAX_QUEUED);
    if (maxRequests < 1 || maxRequests > MAX_REQUESTS) {
      throw new IllegalArgumentException(
          "maxRequests: " + maxRequests + " (expected: 1-" + MAX_REQUESTS + ")");
    }
    if (mode == Mode.OPEN_LOOP && scheduled(rate, warmup, duration) > maxRequests) {
      throw new IllegalArgumentException(
          "rate x (warmup + duration): "
              + scheduled(rate, warmup, duration)
              + " requests (expected: <= maxRequests "
              + maxRequests
              + ")");
    }
  }

  private static void within(String name, Duration value, Duration min, Duration max) {
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          name
              + ": "
              + GoDurations.format(value)
              + " (expected: "
              + GoDurations.format(min)
              + "-"
              + GoDurations.format(max)
              + ")");
    }
  }

  private static void within(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + ": " + value + " (expected: " + min + "-" + max + ")");
    }
  }

  private static long scheduled(double rate, Duration warmup, Duration duration) {
    return Math.round(rate * (warmup.toNanos() + duration.toNanos()) / 1e9);
  }

  /** Open loop: the requests to send, warm-up included. */
  public long scheduledRequests() {
    return scheduled(rate, warmup, duration);
  }

  /** One line for humans, e.g. {@code h1, open loop 1000/s for 10s after 2s warm-up, 64 conns}. */
  public String describe() {
    String shape =
        mode == Mode.OPEN_LOOP
            ? String.format(Locale.ROOT, "open loop %s/s", trim(rate))
            : "closed loop, concurrency " + concurrency;
    String warm = warmup.isZero() ? "" : " after " + GoDurations.format(warmup) + " warm-up";
    return protocol.label()
        + ", "
        + shape
        + " for "
        + GoDurations.format(duration)
        + warm
        + ", "
        + connections
        + (connections == 1 ? " connection" : " connections");
  }

  private static String trim(double value) {
    return value == Math.rint(value)
        ? Long.toString((long) value)
        : String.format(Locale.ROOT, "%.2f", value);
  }

  /** A builder with defaults: open loop, 100 req/s for 10 s, HTTP/1.1, 64 connections. */
  public static Builder builder(URI target) {
    return new Builder(target);
  }

  /** Builds a {@link LoadSpec}; {@link #build()} validates. */
  public static final class Builder {
    private String name = "load";
    private final URI target;
    private Protocol protocol = Protocol.HTTP_1_1;
    private Mode mode = Mode.OPEN_LOOP;
    private double rate = 100;
    private Duration duration = Duration.ofSeconds(10);
    private Duration warmup = Duration.ZERO;
    private int connections = 64;
    private int concurrency = 64;
    private int maxStreamsPerConnection = 100;
    private Duration requestTimeout = Duration.ofSeconds(30);
    private int maxQueued = 10_000;
    private long maxRequests = 10_000_000;
    private final Map<String, String> headers = new LinkedHashMap<>();

    private Builder(URI target) {
      this.target = target;
    }

    public Builder name(String value) {
      name = value;
      return this;
    }

    public Builder protocol(Protocol value) {
      protocol = value;
      return this;
    }

    /** Open loop at {@code requestsPerSecond}. */
    public Builder openLoop(double requestsPerSecond) {
      mode = Mode.OPEN_LOOP;
      rate = requestsPerSecond;
      return this;
    }

    /** Closed loop with {@code workers} requests in flight. */
    public Builder closedLoop(int workers) {
      mode = Mode.CLOSED_LOOP;
      concurrency = workers;
      return this;
    }

    public Builder duration(Duration value) {
      duration = value;
      return this;
    }

    public Builder warmup(Duration value) {
      warmup = value;
      return this;
    }

    public Builder connections(int value) {
      connections = value;
      return this;
    }

    public Builder maxStreamsPerConnection(int value) {
      maxStreamsPerConnection = value;
      return this;
    }

    public Builder requestTimeout(Duration value) {
      requestTimeout = value;
      return this;
    }

    public Builder maxQueued(int value) {
      maxQueued = value;
      return this;
    }

    public Builder maxRequests(long value) {
      maxRequests = value;
      return this;
    }

    public Builder header(String headerName, String value) {
      headers.put(headerName, value);
      return this;
    }

    public LoadSpec build() {
      return new LoadSpec(
          name,
          target,
          protocol,
          mode,
          mode == Mode.OPEN_LOOP ? rate : 0,
          duration,
          warmup,
          connections,
          concurrency,
          maxStreamsPerConnection,
          requestTimeout,
          maxQueued,
          maxRequests,
          headers);
    }
  }
}
