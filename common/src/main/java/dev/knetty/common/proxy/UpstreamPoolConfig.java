package dev.knetty.common.proxy;

import java.time.Duration;
import java.util.Objects;

/**
 * The upstream connection pools (one per event loop).
 *
 * @param connectTimeout the TCP connect timeout of one attempt
 * @param maxIdlePerKey idle HTTP/1.1 connections kept per (host, port); more are closed on release
 *     (Knative: {@code MaxIdleConnsPerHost}, 100 in the activator)
 * @param idleTimeout how long an unused connection stays pooled (Go's transport: 90 s)
 * @param maxLifetime after this age a connection is not reused; {@link Duration#ZERO} = unlimited
 * @param h2MaxStreamsPerConnection our own cap of concurrent streams on one h2c connection (the
 *     peer's {@code SETTINGS_MAX_CONCURRENT_STREAMS} always applies too)
 * @param maxResponseHeaderSize the largest upstream response head we accept, in bytes
 * @param maxConnectsPerKey new HTTP/1.1 connections being opened at once to one (host, port) from
 *     one event loop; further acquisitions wait, in order, for a connection released by another
 *     exchange or for a connect slot, so a burst (thousands of requests released to a pod at once)
 *     never floods the pod's listen backlog. Waiting counts against the exchange's timeouts.
 */
public record UpstreamPoolConfig(
    Duration connectTimeout,
    int maxIdlePerKey,
    Duration idleTimeout,
    Duration maxLifetime,
    int h2MaxStreamsPerConnection,
    int maxResponseHeaderSize,
    int maxConnectsPerKey) {

  /** The default of {@link #maxConnectsPerKey()}. */
  public static final int DEFAULT_MAX_CONNECTS_PER_KEY = 32;

  /**
   * 10 s connect, 100 idle per key, 90 s idle, unlimited lifetime, 1000 streams, 1 MiB heads, 32
   * connects in flight per key and event loop.
   */
  public static final UpstreamPoolConfig DEFAULT =
      new UpstreamPoolConfig(
          Duration.ofSeconds(10),
          100,
          Duration.ofSeconds(90),
          Duration.ZERO,
          1000,
          1 << 20,
          DEFAULT_MAX_CONNECTS_PER_KEY);

  public UpstreamPoolConfig {
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(maxLifetime, "maxLifetime");
    if (connectTimeout.isNegative() || connectTimeout.isZero()) {
      throw new IllegalArgumentException("connectTimeout: " + connectTimeout + " (expected: > 0)");
    }
    if (connectTimeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "connectTimeout: " + connectTimeout + " (expected: <= " + Integer.MAX_VALUE + " ms)");
    }
    if (maxIdlePerKey < 0) {
      throw new IllegalArgumentException("maxIdlePerKey: " + maxIdlePerKey + " (expected: >= 0)");
    }
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: > 0)");
    }
    if (maxLifetime.isNegative()) {
      throw new IllegalArgumentException("maxLifetime: " + maxLifetime + " (expected: >= 0)");
    }
    if (h2MaxStreamsPerConnection < 1) {
      throw new IllegalArgumentException(
          "h2MaxStreamsPerConnection: " + h2MaxStreamsPerConnection + " (expected: > 0)");
    }
    if (maxResponseHeaderSize < 1024) {
      throw new IllegalArgumentException(
          "maxResponseHeaderSize: " + maxResponseHeaderSize + " (expected: >= 1024)");
    }
    if (maxConnectsPerKey < 1) {
      throw new IllegalArgumentException(
          "maxConnectsPerKey: " + maxConnectsPerKey + " (expected: > 0)");
    }
  }

  /** A copy with another {@link #connectTimeout()}. */
  public UpstreamPoolConfig withConnectTimeout(Duration value) {
    return new UpstreamPoolConfig(
        value,
        maxIdlePerKey,
        idleTimeout,
        maxLifetime,
        h2MaxStreamsPerConnection,
        maxResponseHeaderSize,
        maxConnectsPerKey);
  }

  /** A copy with another {@link #maxIdlePerKey()}. */
  public UpstreamPoolConfig withMaxIdlePerKey(int value) {
    return new UpstreamPoolConfig(
        connectTimeout,
        value,
        idleTimeout,
        maxLifetime,
        h2MaxStreamsPerConnection,
        maxResponseHeaderSize,
        maxConnectsPerKey);
  }

  /** A copy with another {@link #idleTimeout()}. */
  public UpstreamPoolConfig withIdleTimeout(Duration value) {
    return new UpstreamPoolConfig(
        connectTimeout,
        maxIdlePerKey,
        value,
        maxLifetime,
        h2MaxStreamsPerConnection,
        maxResponseHeaderSize,
        maxConnectsPerKey);
  }

  /** A copy with another {@link #maxLifetime()}. */
  public UpstreamPoolConfig withMaxLifetime(Duration value) {
    return new UpstreamPoolConfig(
        connectTimeout,
        maxIdlePerKey,
        idleTimeout,
        value,
        h2MaxStreamsPerConnection,
        maxResponseHeaderSize,
        maxConnectsPerKey);
  }

  /** A copy with another {@link #h2MaxStreamsPerConnection()}. */
  public UpstreamPoolConfig withH2MaxStreamsPerConnection(int value) {
    return new UpstreamPoolConfig(
        connectTimeout,
        maxIdlePerKey,
        idleTimeout,
        maxLifetime,
        value,
        maxResponseHeaderSize,
        maxConnectsPerKey);
  }

  /** A copy with another {@link #maxConnectsPerKey()}. */
  public UpstreamPoolConfig withMaxConnectsPerKey(int value) {
    return new UpstreamPoolConfig(
        connectTimeout,
        maxIdlePerKey,
        idleTimeout,
        maxLifetime,
        h2MaxStreamsPerConnection,
        maxResponseHeaderSize,
        value);
  }
}
