package dev.knetty.common.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class ProxyHeadersTest {

  @Test
  void requestHopByHopHeadersGoAndTeTrailersStays() {
    HttpHeaders h =
        new DefaultHttpHeaders()
            .add("Connection", "keep-alive, X-Listed")
            .add("Connection", "X-Other")
            .add("X-Listed", "1")
            .add("X-Other", "1")
            .add("Keep-Alive", "timeout=5")
            .add("Proxy-Connection", "keep-alive")
            .add("Proxy-Authorization", "Basic x")
            .add("Proxy-Authenticate", "Basic")
            .add("TE", "deflate, trailers")
            .add("Trailer", "X-Checksum")
            .add("Transfer-Encoding", "chunked")
            .add("Upgrade", "foo")
            .add("HTTP2-Settings", "AAMAAABkAAQAAP__")
            .add("x-http2-stream-id", "3")
            .add("x-http2-scheme", "http")
            .add("X-End-To-End", "1");

    ProxyHeaders.stripRequest(h);

    assertThat(h.names()).containsExactlyInAnyOrder("te", "x-http2-scheme", "X-End-To-End");
    assertThat(h.get("TE")).isEqualTo("trailers");
  }

  @Test
  void teWithoutTrailersIsDropped() {
    HttpHeaders h = new DefaultHttpHeaders().add("TE", "gzip");
    ProxyHeaders.stripRequest(h);
    assertThat(h.isEmpty()).isTrue();
  }

  @Test
  void responsesKeepTheirTrailerAnnouncement() {
    HttpHeaders h =
        new DefaultHttpHeaders()
            .add("Connection", "close")
            .add("Keep-Alive", "timeout=5")
            .add("Transfer-Encoding", "chunked")
            .add("Trailer", "grpc-status")
            .add("x-http2-stream-id", "1")
            .add("x-http2-scheme", "http")
            .add("Content-Type", "text/plain");

    ProxyHeaders.stripResponse(h);

    assertThat(h.names()).containsExactlyInAnyOrder("Trailer", "Content-Type");
  }

  @Test
  void upgradeTypeNeedsConnectionUpgradeAndIsNeverH2c() {
    assertThat(
            ProxyHeaders.upgradeType(
                new DefaultHttpHeaders().add("Connection", "Upgrade").add("Upgrade", "websocket")))
        .isEqualTo("websocket");
    assertThat(
            ProxyHeaders.upgradeType(
                new DefaultHttpHeaders()
                    .add("Connection", "keep-alive, upgrade")
                    .add("Upgrade", "WebSocket")))
        .isEqualTo("WebSocket");
    assertThat(ProxyHeaders.upgradeType(new DefaultHttpHeaders().add("Upgrade", "websocket")))
        .isNull();
    assertThat(
            ProxyHeaders.upgradeType(
                new DefaultHttpHeaders().add("Connection", "Upgrade").add("Upgrade", "h2c")))
        .isNull();
    assertThat(ProxyHeaders.asksForH2c("websocket, H2C")).isTrue();
    assertThat(ProxyHeaders.asksForH2c(null)).isFalse();
  }

  @Test
  void xForwardedForJoinsPriorLinesAndUsesGoIpv6Text() throws Exception {
    HttpHeaders h =
        new DefaultHttpHeaders()
            .add("X-Forwarded-For", "1.1.1.1")
            .add("X-Forwarded-For", "2.2.2.2");
    ProxyHeaders.appendXForwardedFor(
        h, new InetSocketAddress(InetAddress.getByName("0:0:0:0:0:0:0:1"), 1234));
    assertThat(h.getAll("X-Forwarded-For")).containsExactly("1.1.1.1, 2.2.2.2, ::1");

    HttpHeaders none = new DefaultHttpHeaders();
    ProxyHeaders.appendXForwardedFor(none, new InetSocketAddress("10.1.2.3", 1));
    assertThat(none.get("X-Forwarded-For")).isEqualTo("10.1.2.3");
  }

  @Test
  void bodiesAreNotAllowedForHeadAndSomeStatuses() {
    assertThat(ProxyHeaders.mayHaveBody(200, false)).isTrue();
    assertThat(ProxyHeaders.mayHaveBody(200, true)).isFalse();
    assertThat(ProxyHeaders.mayHaveBody(204, false)).isFalse();
    assertThat(ProxyHeaders.mayHaveBody(304, false)).isFalse();
    assertThat(ProxyHeaders.mayHaveBody(101, false)).isFalse();
  }
}
