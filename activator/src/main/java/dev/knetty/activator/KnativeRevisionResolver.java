package dev.knetty.activator;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.http.KnativeHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import java.util.Locale;
import java.util.Objects;

/** {@link RevisionResolver#knative}: routing headers, else the Host. */
final class KnativeRevisionResolver implements RevisionResolver {

  private final String clusterSuffix;

  KnativeRevisionResolver(String clusterDomain) {
    this.clusterSuffix = "svc." + Objects.requireNonNull(clusterDomain, "clusterDomain");
  }

  @Override
  public RevisionKey resolve(HttpRequest request) {
    HttpHeaders h = request.headers();
    RevisionKey key =
        fromHeaders(h, KnativeHeaders.KNETTY_NAMESPACE, KnativeHeaders.KNETTY_REVISION);
    if (key == null) {
      key = fromHeaders(h, KnativeHeaders.SERVING_NAMESPACE, KnativeHeaders.SERVING_REVISION);
    }
    return key != null ? key : fromHost(h.get(HttpHeaderNames.HOST));
  }

  private static RevisionKey fromHeaders(
      HttpHeaders headers, AsciiString namespaceHeader, AsciiString nameHeader) {
    String namespace = headers.get(namespaceHeader);
    String name = headers.get(nameHeader);
    if (namespace == null || namespace.isEmpty() || name == null || name.isEmpty()) {
      return null;
    }
    return key(namespace, name);
  }

  /** {@code name.namespace[.svc[.<cluster domain>]][:port]}, or {@code null}. */
  RevisionKey fromHost(String host) {
    if (host == null || host.isEmpty() || host.charAt(0) == '[') {
      return null; // absent, or an IPv6 literal
    }
    int colon = host.lastIndexOf(':');
    String h = (colon >= 0 ? host.substring(0, colon) : host).toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1); // a fully qualified name
    }
    int first = h.indexOf('.');
    if (first <= 0) {
      return null;
    }
    int second = h.indexOf('.', first + 1);
    String namespace = second < 0 ? h.substring(first + 1) : h.substring(first + 1, second);
    if (second >= 0) {
      String rest = h.substring(second + 1);
      if (!rest.equals("svc") && !rest.equals(clusterSuffix)) {
        return null;
      }
    }
    return key(namespace, h.substring(0, first));
  }

  private static RevisionKey key(String namespace, String name) {
    if (!RevisionKey.isDnsLabel(namespace) || !RevisionKey.isDnsLabel(name)) {
      return null;
    }
    return new RevisionKey(namespace, name);
  }
}
