package dev.knetty.common.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

/**
 * Knative queue-proxy's {@code Forwarded} shim ({@code pkg/queue/forwarded_shim.go}): when a
 * request has no {@code Forwarded} header, one is built from {@code X-Forwarded-For}, {@code
 * X-Forwarded-Host} and {@code X-Forwarded-Proto}. The first {@code X-Forwarded-For} node becomes
 * {@code for=<node>[;host=<h>][;proto=<p>]}, every further node {@code , for=<node>}; a node with a
 * {@code :} (IPv6) is written {@code "[<node>]"}. {@code X-Forwarded-By} is ignored.
 */
public final class ForwardedShim {

  private ForwardedShim() {}

  public static final AsciiString FORWARDED = AsciiString.cached("forwarded");
  public static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
  public static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
  public static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");

  /**
   * Adds the synthesized {@code Forwarded} header unless one is present. Must run on the incoming
   * headers, before a proxy appends its client to {@code X-Forwarded-For}.
   *
   * @return whether a header was added
   */
  public static boolean apply(HttpHeaders headers) {
    if (!trim(headers.get(FORWARDED)).isEmpty()) {
      return false;
    }
    String forwarded =
        synthesize(
            headers.get(X_FORWARDED_FOR),
            headers.get(X_FORWARDED_HOST),
            headers.get(X_FORWARDED_PROTO));
    if (forwarded.isEmpty()) {
      return false;
    }
    headers.set(FORWARDED, forwarded);
    return true;
  }

  /**
   * The {@code Forwarded} value for the given {@code X-Forwarded-*} values (each may be {@code
   * null}); empty if there is nothing to say.
   */
  public static String synthesize(
      String xForwardedFor, String xForwardedHost, String xForwardedProto) {
    String xff = trim(xForwardedFor);
    String xfh = trim(xForwardedHost);
    String xfp = trim(xForwardedProto);
    // As Go's strings.Split: an empty list is one empty node, and empty nodes are kept.
    String[] nodes = xff.split(",", -1);
    StringBuilder out = new StringBuilder();
    String first = node(nodes[0]);
    String sep = "";
    if (!first.isEmpty()) {
      out.append("for=").append(first);
      sep = ";";
    }
    if (!xfh.isEmpty()) {
      out.append(sep).append("host=").append(xfh);
      sep = ";";
    }
    if (!xfp.isEmpty()) {
      out.append(sep).append("proto=").append(xfp);
    }
    for (int i = 1; i < nodes.length; i++) {
      out.append(", for=").append(node(nodes[i]));
    }
    return out.toString();
  }

  private static String node(String raw) {
    String node = raw.strip();
    // Knative's simplification: a node with a colon is an IPv6 address.
    return node.indexOf(':') >= 0 ? "\"[" + node + "]\"" : node;
  }

  private static String trim(String value) {
    return value == null ? "" : value.strip();
  }
}
