package dev.knetty.queueproxy;

import io.netty.util.NetUtil;
import java.util.List;
import java.util.Objects;

/**
 * One readiness probe of the user container, as Knative encodes it in {@code
 * SERVING_READINESS_PROBE} (a Kubernetes {@code Probe}; knative-dataplane.md §1.6): what to check
 * and how often.
 *
 * @param action what to check: {@link HttpGet}, {@link TcpSocket} or {@link Grpc}
 * @param periodSeconds 0 selects Knative's aggressive mode (an attempt every 50 ms, 100 ms each,
 *     for up to 10 s per probe request); above 0 each probe request makes one attempt of {@code
 *     timeoutSeconds}
 * @param timeoutSeconds the attempt timeout when {@code periodSeconds > 0}
 * @param successThreshold consecutive successes needed in aggressive mode, at least 1
 */
public record ReadinessProbe(
    Action action, int periodSeconds, int timeoutSeconds, int successThreshold) {

  /** Knative's default probe: a TCP connect to {@code 127.0.0.1:port}, aggressive. */
  public static ReadinessProbe tcp(int port) {
    return new ReadinessProbe(new TcpSocket("127.0.0.1", port), 0, 0, 1);
  }

  public ReadinessProbe {
    Objects.requireNonNull(action, "action");
    if (periodSeconds < 0) {
      throw new IllegalArgumentException("periodSeconds: " + periodSeconds + " (expected: >= 0)");
    }
    if (timeoutSeconds < 0) {
      throw new IllegalArgumentException("timeoutSeconds: " + timeoutSeconds + " (expected: >= 0)");
    }
    if (periodSeconds > 0 && timeoutSeconds < 1) {
      // Knative's encoder raises it to 1 s (applyReadinessProbeDefaults).
      timeoutSeconds = 1;
    }
    if (successThreshold < 1) {
      throw new IllegalArgumentException(
          "successThreshold: " + successThreshold + " (expected: >= 1)");
    }
  }

  /** Whether this probe runs in Knative's aggressive mode ({@code periodSeconds == 0}). */
  public boolean aggressive() {
    return periodSeconds == 0;
  }

  /** What a probe checks. */
  public sealed interface Action permits HttpGet, TcpSocket, Grpc {
    /** The address probed (an IP literal or {@code localhost}). */
    String host();

    /** The port probed. */
    int port();
  }

  /**
   * An HTTP GET, ready iff the status is in [200, 400) after following redirects.
   *
   * @param https whether the scheme is HTTPS (certificates are not verified, as in Knative)
   * @param host an IP literal or {@code localhost}
   * @param port the port
   * @param path the path; one leading {@code /} is optional ({@code path} and {@code /path} are the
   *     same, as in Knative)
   * @param headers extra request headers, in order
   */
  public record HttpGet(boolean https, String host, int port, String path, List<Header> headers)
      implements Action {
    public HttpGet {
      checkAddress(host, port);
      Objects.requireNonNull(path, "path");
      headers = List.copyOf(headers);
    }

    /** The request target: {@code /} plus the path without one leading {@code /}. */
    public String target() {
      return "/" + (path.startsWith("/") ? path.substring(1) : path);
    }
  }

  /** A request header of an {@link HttpGet} probe. */
  public record Header(String name, String value) {
    public Header {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
    }
  }

  /** A TCP connect, ready iff it succeeds. */
  public record TcpSocket(String host, int port) implements Action {
    public TcpSocket {
      checkAddress(host, port);
    }
  }

  /**
   * A gRPC health check ({@code grpc.health.v1.Health/Check} over h2c), ready iff the answer is
   * {@code SERVING}.
   *
   * @param service the service name asked about; empty for the server as a whole
   */
  public record Grpc(String host, int port, String service) implements Action {
    public Grpc {
      checkAddress(host, port);
      Objects.requireNonNull(service, "service");
    }
  }

  private static void checkAddress(String host, int port) {
    Objects.requireNonNull(host, "host");
    // A name would need a (blocking) lookup; Knative always probes 127.0.0.1.
    if (!NetUtil.isValidIpV4Address(host)
        && !NetUtil.isValidIpV6Address(host)
        && !"localhost".equals(host)) {
      throw new IllegalArgumentException(
          "host: " + host + " (expected: an IP address or localhost)");
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
    }
  }
}
