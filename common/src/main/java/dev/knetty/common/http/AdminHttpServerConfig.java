package dev.knetty.common.http;

import java.time.Duration;
import java.util.Objects;

/**
 * Where an {@link AdminHttpServer} listens and its limits.
 *
 * @param host the address to bind, e.g. {@code 0.0.0.0} or {@code 127.0.0.1}
 * @param port the port to bind; 0 picks a free one (tests)
 * @param maxContentLength the largest request body accepted; larger ones get 413 and the connection
 *     is closed
 * @param idleTimeout how long a connection may sit without a request before it is closed (a
 *     connection waiting for a slow handler, such as {@code /wait-for-drain}, is not idle)
 * @param shutdownTimeout how long {@link AdminHttpServer#close()} waits for requests in progress
 *     before it closes their connections anyway
 */
public record AdminHttpServerConfig(
    String host, int port, int maxContentLength, Duration idleTimeout, Duration shutdownTimeout) {

  /** Admin requests carry small bodies, if any. */
  public static final int DEFAULT_MAX_CONTENT_LENGTH = 64 * 1024;

  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

  public AdminHttpServerConfig {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host: '" + host + "' (expected: an address or name)");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
    }
    if (maxContentLength <= 0) {
      throw new IllegalArgumentException(
          "maxContentLength: " + maxContentLength + " (expected: > 0)");
    }
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: > 0)");
    }
    Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
    if (shutdownTimeout.isNegative()) {
      throw new IllegalArgumentException(
          "shutdownTimeout: " + shutdownTimeout + " (expected: >= 0)");
    }
  }

  /** {@code host:port} with the default limits. */
  public static AdminHttpServerConfig of(String host, int port) {
    return new AdminHttpServerConfig(
        host, port, DEFAULT_MAX_CONTENT_LENGTH, DEFAULT_IDLE_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT);
  }
}
