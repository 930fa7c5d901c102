package dev.knetty.common.proxy;

import io.netty.util.NetUtil;
import java.util.Objects;

/**
 * Where an exchange is proxied to: an IP literal (or {@code localhost}) and a port. Names are not
 * resolved: Knative's data plane only proxies to loopback, pod IPs and cluster IPs, and a DNS
 * lookup would block the event loop.
 */
public record UpstreamTarget(String host, int port) {

  public UpstreamTarget {
    Objects.requireNonNull(host, "host");
    if (!NetUtil.isValidIpV4Address(host)
        && !NetUtil.isValidIpV6Address(host)
        && !"localhost".equals(host)) {
      throw new IllegalArgumentException(
          "host: " + host + " (expected: an IPv4 or IPv6 literal, or localhost)");
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
    }
  }

  /** Shorthand for the constructor. */
  public static UpstreamTarget of(String host, int port) {
    return new UpstreamTarget(host, port);
  }

  /** {@code host:port}, with an IPv6 host in brackets, as Go prints dial addresses. */
  public String authority() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }

  @Override
  public String toString() {
    return authority();
  }
}
