package dev.knetty.common.kmp;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link KmpServer}. Build with {@link #builder(String, String)}; every setting but
 * the server's identity has a default.
 *
 * @param host the address to bind, default {@code 0.0.0.0}
 * @param port the port to bind, default {@value KmpProtocol#DEFAULT_PORT}; 0 picks a free one
 * @param podName the autoscaler's pod name, sent in its HELLO
 * @param podIp the autoscaler's pod IP, sent in its HELLO (may be empty)
 * @param maxFrameLength the largest frame accepted, length prefix included, default 1 MiB
 * @param maxDictionaryEntries the most entries a client may define per dictionary, default 65536
 * @param heartbeatInterval a HEARTBEAT goes out after this long without writing, default 5 s
 * @param idleTimeout a client silent this long is closed, default 15 s; it is raised to twice the
 *     heartbeat interval the client announces, if that is longer
 * @param handshakeTimeout a client must send its HELLO within this time, default 5 s
 * @param slowReaderTimeout a client whose connection stays unwritable (it does not read) this long
 *     is closed, default 10 s
 * @param maxConnections connections beyond this are refused (ERROR OVERLOADED), default 10000
 * @param backlog the listen backlog, default 4096 (a thousand pods reconnect at once after a
 *     restart)
 * @param writeBufferLowWaterMark the write buffer low water mark per connection, default 32 KiB
 * @param writeBufferHighWaterMark the write buffer high water mark per connection, default 64 KiB;
 *     above it decisions wait (latest wins) and the slow-reader timer runs
 * @param logInterval at most one log line per kind of problem per this interval, default 30 s
 */
public record KmpServerConfig(
    String host,
    int port,
    String podName,
    String podIp,
    int maxFrameLength,
    int maxDictionaryEntries,
    Duration heartbeatInterval,
    Duration idleTimeout,
    Duration handshakeTimeout,
    Duration slowReaderTimeout,
    int maxConnections,
    int backlog,
    int writeBufferLowWaterMark,
    int writeBufferHighWaterMark,
    Duration logInterval) {

  public KmpServerConfig {
    Objects.requireNonNull(host, "host");
    Checks.range("port", port, 0, 65535);
    Checks.name("podName", podName, 1);
    Checks.name("podIp", podIp, 0);
    Checks.atLeast("maxFrameLength", maxFrameLength, KmpProtocol.MIN_MAX_FRAME_LENGTH);
    Checks.atLeast("maxDictionaryEntries", maxDictionaryEntries, 1);
    Checks.positiveMillis("heartbeatInterval", heartbeatInterval);
    Checks.positiveMillis("idleTimeout", idleTimeout);
    Checks.idleTimeout(idleTimeout, heartbeatInterval);
    Checks.positiveMillis("handshakeTimeout", handshakeTimeout);
    Checks.positiveMillis("slowReaderTimeout", slowReaderTimeout);
    Checks.atLeast("maxConnections", maxConnections, 1);
    Checks.atLeast("backlog", backlog, 1);
    Checks.waterMarks(writeBufferLowWaterMark, writeBufferHighWaterMark);
    Checks.positiveMillis("logInterval", logInterval);
  }

  /**
   * A builder with the defaults, for a server that calls itself {@code podName} at {@code podIp}.
   */
  public static Builder builder(String podName, String podIp) {
    return new Builder(podName, podIp);
  }

  /**
   * A builder of {@link KmpServerConfig}: each setter sets the component of its name. Not
   * thread-safe.
   */
  public static final class Builder {
    private final String podName;
    private final String podIp;
    private String host = "0.0.0.0";
    private int port = KmpProtocol.DEFAULT_PORT;
    private int maxFrameLength = KmpProtocol.DEFAULT_MAX_FRAME_LENGTH;
    private int maxDictionaryEntries = KmpProtocol.DEFAULT_MAX_DICTIONARY_ENTRIES;
    private Duration heartbeatInterval = Duration.ofSeconds(5);
    private Duration idleTimeout = Duration.ofSeconds(15);
    private Duration handshakeTimeout = Duration.ofSeconds(5);
    private Duration slowReaderTimeout = Duration.ofSeconds(10);
    private int maxConnections = 10_000;
    private int backlog = 4096;
    private int writeBufferLowWaterMark = 32 * 1024;
    private int writeBufferHighWaterMark = 64 * 1024;
    private Duration logInterval = Duration.ofSeconds(30);

    private Builder(String podName, String podIp) {
      this.podName = podName;
      this.podIp = podIp;
    }

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder maxFrameLength(int maxFrameLength) {
      this.maxFrameLength = maxFrameLength;
      return this;
    }

    public Builder maxDictionaryEntries(int maxDictionaryEntries) {
      this.maxDictionaryEntries = maxDictionaryEntries;
      return this;
    }

    public Builder heartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval = heartbeatInterval;
      return this;
    }

    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = idleTimeout;
      return this;
    }

    public Builder handshakeTimeout(Duration handshakeTimeout) {
      this.handshakeTimeout = handshakeTimeout;
      return this;
    }

    public Builder slowReaderTimeout(Duration slowReaderTimeout) {
      this.slowReaderTimeout = slowReaderTimeout;
      return this;
    }

    public Builder maxConnections(int maxConnections) {
      this.maxConnections = maxConnections;
      return this;
    }

    public Builder backlog(int backlog) {
      this.backlog = backlog;
      return this;
    }

    public Builder writeBufferWaterMarks(int low, int high) {
      this.writeBufferLowWaterMark = low;
      this.writeBufferHighWaterMark = high;
      return this;
    }

    public Builder logInterval(Duration logInterval) {
      this.logInterval = logInterval;
      return this;
    }

    /** The config; throws {@link IllegalArgumentException} naming the first bad setting. */
    public KmpServerConfig build() {
      return new KmpServerConfig(
          host,
          port,
          podName,
          podIp,
          maxFrameLength,
          maxDictionaryEntries,
          heartbeatInterval,
          idleTimeout,
          handshakeTimeout,
          slowReaderTimeout,
          maxConnections,
          backlog,
          writeBufferLowWaterMark,
          writeBufferHighWaterMark,
          logInterval);
    }
  }
}
