package dev.knetty.activator.endpoints;

import dev.knetty.common.proxy.UpstreamTarget;
import java.util.Objects;

/**
 * One pod of a revision: the address of its queue-proxy and its conditions, as an EndpointSlice
 * endpoint carries them.
 *
 * @param address the queue-proxy's {@code ip:port}
 * @param ready whether the platform considers the pod ready (Kubernetes' {@code ready} condition).
 *     The activator probes ready and not-ready pods alike and uses a pod as soon as it answers, so
 *     this flag only matters when it goes from ready to not ready (the pod leaves the rotation
 *     until it answers a probe again)
 * @param terminating whether the pod is shutting down (Kubernetes' {@code terminating}); such a pod
 *     gets no new requests, whatever its other conditions (Kubernetes' {@code serving} only matters
 *     for terminating endpoints, so the activator does not need it)
 */
public record PodEndpoint(UpstreamTarget address, boolean ready, boolean terminating) {

  public PodEndpoint {
    Objects.requireNonNull(address, "address");
  }

  /** A ready, not terminating pod at {@code ip:port}. */
  public static PodEndpoint ready(String ip, int port) {
    return new PodEndpoint(UpstreamTarget.of(ip, port), true, false);
  }

  /** A pod at {@code ip:port} that is not ready yet (starting). */
  public static PodEndpoint notReady(String ip, int port) {
    return new PodEndpoint(UpstreamTarget.of(ip, port), false, false);
  }

  /**
   * Parses {@code ip:port} ({@code [v6]:port} for IPv6).
   *
   * @throws IllegalArgumentException naming the value and what was expected
   */
  public static UpstreamTarget parseAddress(String value) {
    Objects.requireNonNull(value, "address");
    String host;
    String port;
    if (value.startsWith("[")) {
      int close = value.indexOf("]:");
      if (close < 0) {
        throw badAddress(value);
      }
      host = value.substring(1, close);
      port = value.substring(close + 2);
    } else {
      int colon = value.lastIndexOf(':');
      if (colon <= 0 || value.indexOf(':') != colon) {
        throw badAddress(value);
      }
      host = value.substring(0, colon);
      port = value.substring(colon + 1);
    }
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      throw badAddress(value);
    }
    try {
      return UpstreamTarget.of(host, p);
    } catch (IllegalArgumentException e) {
      throw badAddress(value);
    }
  }

  private static IllegalArgumentException badAddress(String value) {
    return new IllegalArgumentException(
        "address: "
            + value
            + " (expected: IP:PORT with an IPv4 literal, or [IPv6]:PORT, and a port 1-65535)");
  }
}
