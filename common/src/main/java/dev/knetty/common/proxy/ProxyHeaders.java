package dev.knetty.common.proxy;

import dev.knetty.common.http.ForwardedShim;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Header rewriting of a reverse proxy, as Go's {@code httputil.ReverseProxy} does it: hop-by-hop
 * headers out (RFC 9110 §7.6.1: {@code Connection} and everything it names, plus the known
 * hop-by-hop set), {@code TE: trailers} kept, the client appended to {@code X-Forwarded-For}.
 */
final class ProxyHeaders {

  private ProxyHeaders() {}

  static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
  // HttpHeaderNames.KEEP_ALIVE is deprecated (the header is obsolete), but proxies still strip it.
  static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");
  static final AsciiString HTTP2_SETTINGS = AsciiString.cached("http2-settings");
  private static final AsciiString H2C = AsciiString.cached("h2c");

  // Go's hopHeaders, plus HTTP2-Settings (only meaningful on an h2c upgrade).
  private static final AsciiString[] HOP_BY_HOP = {
    HttpHeaderNames.CONNECTION,
    PROXY_CONNECTION,
    KEEP_ALIVE,
    HttpHeaderNames.PROXY_AUTHENTICATE,
    HttpHeaderNames.PROXY_AUTHORIZATION,
    HttpHeaderNames.TE,
    HttpHeaderNames.TRANSFER_ENCODING,
    HttpHeaderNames.UPGRADE,
    HTTP2_SETTINGS,
  };

  // Netty's HTTP/2 <-> HTTP/1 translation headers; never sent to a peer.
  private static final AsciiString[] TRANSLATION = {
    HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text(),
    HttpConversionUtil.ExtensionHeaderNames.STREAM_DEPENDENCY_ID.text(),
    HttpConversionUtil.ExtensionHeaderNames.STREAM_WEIGHT.text(),
    HttpConversionUtil.ExtensionHeaderNames.STREAM_PROMISE_ID.text(),
    HttpConversionUtil.ExtensionHeaderNames.PATH.text(),
  };

  static final AsciiString SCHEME = HttpConversionUtil.ExtensionHeaderNames.SCHEME.text();

  /**
   * The protocol an HTTP/1.1 request asks to switch to (Go's {@code upgradeType}): the {@code
   * Upgrade} value when {@code Connection} names {@code upgrade}; {@code null} otherwise and for
   * {@code h2c}, which is this hop's business, not the upstream's.
   */
  static String upgradeType(HttpHeaders headers) {
    if (!headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
      return null;
    }
    String upgrade = headers.get(HttpHeaderNames.UPGRADE);
    if (upgrade == null || upgrade.isBlank() || asksForH2c(upgrade)) {
      return null;
    }
    return upgrade.strip();
  }

  /** Whether an {@code Upgrade} value names {@code h2c}. */
  static boolean asksForH2c(String upgrade) {
    if (upgrade == null) {
      return false;
    }
    for (String token : upgrade.split(",")) {
      if (H2C.contentEqualsIgnoreCase(token.strip())) {
        return true;
      }
    }
    return false;
  }

  /** Removes hop-by-hop headers from a request; {@code TE: trailers} survives. */
  static void stripRequest(HttpHeaders headers) {
    boolean trailers = headers.containsValue(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS, true);
    stripConnectionListed(headers);
    for (AsciiString name : HOP_BY_HOP) {
      headers.remove(name);
    }
    headers.remove(HttpHeaderNames.TRAILER);
    for (AsciiString name : TRANSLATION) {
      headers.remove(name);
    }
    if (trailers) {
      headers.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
    }
  }

  /** Removes hop-by-hop headers from a response; {@code Trailer} stays to announce trailers. */
  static void stripResponse(HttpHeaders headers) {
    stripConnectionListed(headers);
    for (AsciiString name : HOP_BY_HOP) {
      headers.remove(name);
    }
    for (AsciiString name : TRANSLATION) {
      headers.remove(name);
    }
    headers.remove(SCHEME);
  }

  private static void stripConnectionListed(HttpHeaders headers) {
    List<String> values = headers.getAll(HttpHeaderNames.CONNECTION);
    for (String value : values) {
      for (String token : value.split(",")) {
        String name = token.strip();
        if (!name.isEmpty()) {
          headers.remove(name);
        }
      }
    }
  }

  /** Appends the client's IP to {@code X-Forwarded-For}, joining earlier lines with ", " (Go). */
  static void appendXForwardedFor(HttpHeaders headers, InetSocketAddress client) {
    if (client == null || client.getAddress() == null) {
      return;
    }
    String ip = NetUtil.toAddressString(client.getAddress());
    List<String> prior = headers.getAll(ForwardedShim.X_FORWARDED_FOR);
    String value = prior.isEmpty() ? ip : String.join(", ", prior) + ", " + ip;
    headers.set(ForwardedShim.X_FORWARDED_FOR, value);
  }

  /** Whether a response with this status to this method may carry a body (RFC 9110 §6.4.1). */
  static boolean mayHaveBody(int status, boolean headRequest) {
    return !headRequest && status >= 200 && status != 204 && status != 304;
  }
}
