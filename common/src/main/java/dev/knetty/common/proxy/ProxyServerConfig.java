package dev.knetty.common.proxy;

import io.netty.util.NetUtil;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a {@link ProxyServer} needs to know, immutable; build it with {@link #builder()}.
 *
 * @param host the address to bind ({@code 0.0.0.0} for all)
 * @param port the port to bind; 0 picks a free one ({@link ProxyServer#start()} returns it)
 * @param listenBacklog the listen backlog (the kernel caps it at {@code net.core.somaxconn});
 *     default {@link NetUtil#SOMAXCONN}, the largest the OS allows, as Go's servers use: a burst of
 *     new connections beyond it has its SYNs dropped and its connects time out
 * @param maxInitialLineLength the longest HTTP/1.1 request line; longer ones get 431
 * @param maxHeaderSize the largest HTTP/1.1 request header block; larger ones get 431
 * @param headerReadTimeout how long a request head may take to arrive (Go's {@code
 *     ReadHeaderTimeout}; Knative: 1 min); on expiry the connection is closed
 * @param keepAliveIdleTimeout how long an HTTP/1.1 connection may wait for its next request; {@link
 *     Duration#ZERO} waits forever, as Knative's servers do
 * @param h2MaxConcurrentStreams {@code SETTINGS_MAX_CONCURRENT_STREAMS} we announce
 * @param h2InitialWindowSize {@code SETTINGS_INITIAL_WINDOW_SIZE} we announce (and our connection
 *     window); bounds what an h2 client can send before the upstream consumes it
 * @param h2MaxHeaderListSize {@code SETTINGS_MAX_HEADER_LIST_SIZE}; larger request heads get 431
 * @param writeBufferLowWaterMark low write-buffer watermark of every channel
 * @param writeBufferHighWaterMark high write-buffer watermark of every channel; above it the engine
 *     stops reading the other side
 * @param defaultTimeouts the timeouts of an exchange unless its policy sets others
 * @param preReadLimitBytes request body bytes read and held while the policy has not decided; 0
 *     reads nothing (a request whose body fits is complete, so a client that goes away while
 *     waiting is noticed)
 * @param maxDiscardBytes request body bytes read and dropped after a response that did not consume
 *     the request; beyond it the HTTP/1.1 connection is closed (Go: 256 KiB)
 * @param maxUpstreamAttempts upstream connection attempts per exchange, retries included
 * @param h2cUpgradeMaxContentLength largest body of an {@code Upgrade: h2c} request (Netty
 *     aggregates it for the upgrade)
 * @param pool the upstream connection pools
 */
public record ProxyServerConfig(
    String host,
    int port,
    int listenBacklog,
    int maxInitialLineLength,
    int maxHeaderSize,
    Duration headerReadTimeout,
    Duration keepAliveIdleTimeout,
    int h2MaxConcurrentStreams,
    int h2InitialWindowSize,
    int h2MaxHeaderListSize,
    int writeBufferLowWaterMark,
    int writeBufferHighWaterMark,
    ExchangeTimeouts defaultTimeouts,
    int preReadLimitBytes,
    int maxDiscardBytes,
    int maxUpstreamAttempts,
    int h2cUpgradeMaxContentLength,
    UpstreamPoolConfig pool) {

  public ProxyServerConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(defaultTimeouts, "defaultTimeouts");
    Objects.requireNonNull(pool, "pool");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
    }
    atLeast("listenBacklog", listenBacklog, 1);
    atLeast("maxInitialLineLength", maxInitialLineLength, 256);
    atLeast("maxHeaderSize", maxHeaderSize, 1024);
    positive("headerReadTimeout", headerReadTimeout);
    Objects.requireNonNull(keepAliveIdleTimeout, "keepAliveIdleTimeout");
    if (keepAliveIdleTimeout.isNegative()) {
      throw new IllegalArgumentException(
          "keepAliveIdleTimeout: " + keepAliveIdleTimeout + " (expected: >= 0)");
    }
    atLeast("h2MaxConcurrentStreams", h2MaxConcurrentStreams, 1);
    if (h2InitialWindowSize < 65_535) {
      throw new IllegalArgumentException(
          "h2InitialWindowSize: " + h2InitialWindowSize + " (expected: 65535-2147483647)");
    }
    atLeast("h2MaxHeaderListSize", h2MaxHeaderListSize, 1024);
    atLeast("writeBufferLowWaterMark", writeBufferLowWaterMark, 1);
    if (writeBufferHighWaterMark < writeBufferLowWaterMark) {
      throw new IllegalArgumentException(
          "writeBufferHighWaterMark: "
              + writeBufferHighWaterMark
              + " (expected: >= writeBufferLowWaterMark "
              + writeBufferLowWaterMark
              + ")");
    }
    atLeast("preReadLimitBytes", preReadLimitBytes, 0);
    atLeast("maxDiscardBytes", maxDiscardBytes, 0);
    atLeast("maxUpstreamAttempts", maxUpstreamAttempts, 1);
    atLeast("h2cUpgradeMaxContentLength", h2cUpgradeMaxContentLength, 0);
  }

  /** A builder with Knative-compatible defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  private static void atLeast(String name, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: >= " + min + ")");
    }
  }

  private static void positive(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
    }
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private String host = "0.0.0.0";
    private int port;
    private int listenBacklog = NetUtil.SOMAXCONN;
    private int maxInitialLineLength = 64 * 1024;
    // Go's DefaultMaxHeaderBytes (Knative's servers do not change it).
    private int maxHeaderSize = 1 << 20;
    private Duration headerReadTimeout = Duration.ofMinutes(1);
    private Duration keepAliveIdleTimeout = Duration.ZERO;
    // Go's http2.Server defaults: 250 streams, 1 MiB per-stream receive buffer.
    private int h2MaxConcurrentStreams = 250;
    private int h2InitialWindowSize = 1 << 20;
    private int h2MaxHeaderListSize = 1 << 20;
    private int writeBufferLowWaterMark = 32 * 1024;
    private int writeBufferHighWaterMark = 64 * 1024;
    private ExchangeTimeouts defaultTimeouts = ExchangeTimeouts.DEFAULT;
    private int preReadLimitBytes;
    private int maxDiscardBytes = 256 * 1024;
    private int maxUpstreamAttempts = 3;
    private int h2cUpgradeMaxContentLength = 64 * 1024;
    private UpstreamPoolConfig pool = UpstreamPoolConfig.DEFAULT;

    private Builder() {}

    private Builder(ProxyServerConfig c) {
      host = c.host;
      port = c.port;
      listenBacklog = c.listenBacklog;
      maxInitialLineLength = c.maxInitialLineLength;
      maxHeaderSize = c.maxHeaderSize;
      headerReadTimeout = c.headerReadTimeout;
      keepAliveIdleTimeout = c.keepAliveIdleTimeout;
      h2MaxConcurrentStreams = c.h2MaxConcurrentStreams;
      h2InitialWindowSize = c.h2InitialWindowSize;
      h2MaxHeaderListSize = c.h2MaxHeaderListSize;
      writeBufferLowWaterMark = c.writeBufferLowWaterMark;
      writeBufferHighWaterMark = c.writeBufferHighWaterMark;
      defaultTimeouts = c.defaultTimeouts;
      preReadLimitBytes = c.preReadLimitBytes;
      maxDiscardBytes = c.maxDiscardBytes;
      maxUpstreamAttempts = c.maxUpstreamAttempts;
      h2cUpgradeMaxContentLength = c.h2cUpgradeMaxContentLength;
      pool = c.pool;
    }

    /** Sets {@link ProxyServerConfig#host()}. */
    public Builder host(String value) {
      host = value;
      return this;
    }

    /** Sets {@link ProxyServerConfig#port()}. */
    public Builder port(int value) {
      port = value;
      return this;
    }

    /** Sets {@link ProxyServerConfig#listenBacklog()}. */
    public Builder listenBacklog(int value) {
      listenBacklog = value;
      return this;
    }

    /** Sets {@link ProxyServerConfig#maxInitialLineLength()}. */
    public Builder maxInitialLineLength(int value) {
      maxInitialLineLength = value;
      return this;
    }

    /** Sets {@link ProxyServerConfig#maxHeaderSize()}. */
    public Builder maxHeaderSize(int value) {
      maxHeaderSize = value;
      return this;
    }

    /** Sets {@link ProxyServerConfig#headerReadTimeout()}. */
    public Builder headerReadTimeout(Duration value) {
      headerReadTimeout = value;
      return this;
    }

    /** Sets {@link ProxyServerConfig#keepAliveIdleTimeout()}. */
    public Builder keepAliveIdleTimeout(Duration value) {
      keepAliveIdleTimeout = value;
      return this;
    }

    /** Sets {@link ProxyServerConfig#h2MaxConcurrentStreams()}. */
    public Builder h2MaxConcurrentStreams(int value) {
      h2MaxConcurrentStreams = value;
      return this;
    }

    /** Sets {@link ProxyServerConfig#h2InitialWindowSize()}. */
    public Builder h2InitialWindowSize(int value) {
      h2InitialWindowSize = value;
      return this;
    }

    /** Sets {@link ProxyServerConfig#h2MaxHeaderListSize()}. */
    public Builder h2MaxHeaderListSize(int value) {
      h2MaxHeaderListSize = value;
      return this;
    }

    /** Both write-buffer watermarks of every client and upstream channel. */
    public Builder writeBufferWaterMark(int low, int high) {
      writeBufferLowWaterMark = low;
      writeBufferHighWaterMark = high;
      return this;
    }

    /** Sets {@link ProxyServerConfig#defaultTimeouts()}. */
    public Builder defaultTimeouts(ExchangeTimeouts value) {
      defaultTimeouts = value;
      return this;
    }

    /** Sets {@link ProxyServerConfig#preReadLimitBytes()}. */
    public Builder preReadLimitBytes(int value) {
      preReadLimitBytes = value;
      return this;
    }

    /** Sets {@link ProxyServerConfig#maxDiscardBytes()}. */
    public Builder maxDiscardBytes(int value) {
      maxDiscardBytes = value;
      return this;
    }

    /** Sets {@link ProxyServerConfig#maxUpstreamAttempts()}. */
    public Builder maxUpstreamAttempts(int value) {
      maxUpstreamAttempts = value;
      return this;
    }

    /** Sets {@link ProxyServerConfig#h2cUpgradeMaxContentLength()}. */
    public Builder h2cUpgradeMaxContentLength(int value) {
      h2cUpgradeMaxContentLength = value;
      return this;
    }

    /** Sets {@link ProxyServerConfig#pool()}. */
    public Builder pool(UpstreamPoolConfig value) {
      pool = value;
      return this;
    }

    /** The configuration; throws {@link IllegalArgumentException} naming an invalid value. */
    public ProxyServerConfig build() {
      return new ProxyServerConfig(
          host,
          port,
          listenBacklog,
          maxInitialLineLength,
          maxHeaderSize,
          headerReadTimeout,
          keepAliveIdleTimeout,
          h2MaxConcurrentStreams,
          h2InitialWindowSize,
          h2MaxHeaderListSize,
          writeBufferLowWaterMark,
          writeBufferHighWaterMark,
          defaultTimeouts,
          preReadLimitBytes,
          maxDiscardBytes,
          maxUpstreamAttempts,
          h2cUpgradeMaxContentLength,
          pool);
    }
  }
}
