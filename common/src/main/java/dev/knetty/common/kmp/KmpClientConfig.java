package dev.knetty.common.kmp;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link KmpClient}. Build with {@link #builder}; every setting but the server
 * address and the client's identity has a default.
 *
 * @param host the autoscaler's host name or IP; a name is resolved off the event loop
 * @param port the autoscaler's KMP port
 * @param role {@link Role#QUEUE_PROXY} or {@link Role#ACTIVATOR}
 * @param podName this pod's name (Knative's {@code SERVING_POD}), sent in the HELLO
 * @param podIp this pod's IP, sent in the HELLO (may be empty)
 * @param connectTimeout the TCP connect timeout, default 3 s
 * @param handshakeTimeout the server's HELLO must arrive within this time, default 5 s
 * @param heartbeatInterval a HEARTBEAT goes out after this long without writing, default 5 s
 * @param idleTimeout a server silent this long is considered gone, default 15 s; it is raised to
 *     twice the heartbeat interval the server announces, if that is longer
 * @param reconnectBackoff the delays between connection attempts; reset after a handshake
 * @param maxFrameLength the largest frame accepted, length prefix included, default 1 MiB
 * @param maxDictionaryEntries the most entries the server may define per dictionary, default 65536
 * @param writeBufferLowWaterMark the write buffer low water mark, default 32 KiB
 * @param writeBufferHighWaterMark the write buffer high water mark, default 64 KiB; above it a
 *     newer batch replaces the pending one instead of being written
 * @param logInterval an unreachable server (and any other connection problem) is logged at most
 *     once per this interval, default 30 s
 */
public record KmpClientConfig(
    String host,
    int port,
    Role role,
    String podName,
    String podIp,
    Duration connectTimeout,
    Duration handshakeTimeout,
    Duration heartbeatInterval,
    Duration idleTimeout,
    Backoff reconnectBackoff,
    int maxFrameLength,
    int maxDictionaryEntries,
    int writeBufferLowWaterMark,
    int writeBufferHighWaterMark,
    Duration logInterval) {

  public KmpClientConfig {
    Checks.name("host", host, 1);
    Checks.range("port", port, 1, 65535);
    Objects.requireNonNull(role, "role");
    if (role == Role.AUTOSCALER) {
      throw new IllegalArgumentException("role: " + role + " (expected: QUEUE_PROXY or ACTIVATOR)");
    }
    Checks.name("podName", podName, 1);
    Checks.name("podIp", podIp, 0);
    Checks.positiveMillis("connectTimeout", connectTimeout);
    Checks.positiveMillis("handshakeTimeout", handshakeTimeout);
    Checks.positiveMillis("heartbeatInterval", heartbeatInterval);
    Checks.positiveMillis("idleTimeout", idleTimeout);
    Checks.idleTimeout(idleTimeout, heartbeatInterval);
    Objects.requireNonNull(reconnectBackoff, "reconnectBackoff");
    Checks.atLeast("maxFrameLength", maxFrameLength, KmpProtocol.MIN_MAX_FRAME_LENGTH);
    Checks.atLeast("maxDictionaryEntries", maxDictionaryEntries, 1);
    Checks.waterMarks(writeBufferLowWaterMark, writeBufferHighWaterMark);
    Checks.positiveMillis("logInterval", logInterval);
  }

  /** A builder with the defaults. */
  public static Builder builder(String host, int port, Role role, String podName, String podIp) {
    return new Builder(host, port, role, podName, podIp);
  }

  /**
   * A builder of {@link KmpClientConfig}: each setter sets the component of its name. Not
   * thread-safe.
   */
  public static final class Builder {
    private final String host;
    private final int port;
    private final Role role;
    private final String podName;
    private final String podIp;
    private Duration connectTimeout = Duration.ofSeconds(3);
    private Duration handshakeTimeout = Duration.ofSeconds(5);
    private Duration heartbeatInterval = Duration.ofSeconds(5);
    private Duration idleTimeout = Duration.ofSeconds(15);
    private Backoff reconnectBackoff = Backoff.DEFAULT;
    private int maxFrameLength = KmpProtocol.DEFAULT_MAX_FRAME_LENGTH;
    private int maxDictionaryEntries = KmpProtocol.DEFAULT_MAX_DICTIONARY_ENTRIES;
    private int writeBufferLowWaterMark = 32 * 1024;
    private int writeBufferHighWaterMark = 64 * 1024;
    private Duration logInterval = Duration.ofSeconds(30);

    private Builder(String host, int port, Role role, String podName, String podIp) {
      this.host = host;
      this.port = port;
      this.role = role;
      this.podName = podName;
      this.podIp = podIp;
    }

    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
      return this;
    }

    public Builder handshakeTimeout(Duration handshakeTimeout) {
      this.handshakeTimeout = handshakeTimeout;
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

    public Builder reconnectBackoff(Backoff reconnectBackoff) {
      this.reconnectBackoff = reconnectBackoff;
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
    public KmpClientConfig build() {
      return new KmpClientConfig(
          host,
          port,
          role,
          podName,
          podIp,
          connectTimeout,
          handshakeTimeout,
          heartbeatInterval,
          idleTimeout,
          reconnectBackoff,
          maxFrameLength,
          maxDictionaryEntries,
          writeBufferLowWaterMark,
          writeBufferHighWaterMark,
          logInterval);
    }
  }
}
