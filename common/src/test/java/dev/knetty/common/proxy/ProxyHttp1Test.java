package dev.knetty.common.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.testing.RawHttp;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** HTTP/1.1 through the proxy: keep-alive, headers, local answers, connect failures, retries. */
class ProxyHttp1Test extends ProxyTestSupport {

  @Test
  void proxiesAGetAndReportsTheOutcome() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> TestOrigin.text("hello")));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    startProxy(policy);

    HttpResponse<String> response =
        http1.send(
            HttpRequest.newBuilder(uri("/a?b=c")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("hello");
    assertThat(origin.requests.take().uri()).isEqualTo("/a?b=c");
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    ExchangeOutcome outcome = policy.outcomes.get(0);
    assertThat(outcome.kind()).isEqualTo(ExchangeOutcome.Kind.PROXIED);
    assertThat(outcome.status()).isEqualTo(200);
    assertThat(outcome.responseStarted()).isTrue();
    assertThat(outcome.responseBytes()).isEqualTo(5);
    assertThat(outcome.upstreamAttempts()).isEqualTo(1);
    assertThat(proxy.activeExchanges()).isZero();
  }

  @Test
  void keepAliveRequestsShareOneUpstreamConnection() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> TestOrigin.text("ok")));
    startProxy(new RecordingPolicy(origin.target()));

    try (RawHttp client = new RawHttp(proxyPort)) {
      for (int i = 0; i < 5; i++) {
        RawHttp.Response response = client.get("/" + i, "");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("ok");
        assertThat(response.header("connection")).isNull();
      }
    }

    assertThat(origin.accepted.get()).isEqualTo(1);
    assertThat(origin.requests)
        .extracting(TestOrigin.Recorded::connection)
        .hasSize(5)
        .containsOnly(origin.requests.peek().connection());
    await().atMost(WAIT).until(() -> proxy.idleUpstreamConnections() == 1);
    assertThat(proxy.upstreamConnections()).isEqualTo(1);
  }

  @Test
  void keepAliveFollowsHttp11RulesForResponsesWithoutBodies() throws Exception {
    TestOrigin origin =
        origin(
            TestOrigin.http1(
                originGroup,
                req -> {
                  if (req.uri().equals("/304")) {
                    return new io.netty.handler.codec.http.DefaultFullHttpResponse(
                        io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
                        HttpResponseStatus.NOT_MODIFIED);
                  }
                  FullHttpResponse r = TestOrigin.text("body");
                  if (req.uri().equals("/chunked-head")) {
                    r.headers().remove("content-length").set("transfer-encoding", "chunked");
                  }
                  return r;
                }));
    startProxy(new RecordingPolicy(origin.target()));

    try (RawHttp client = new RawHttp(proxyPort)) {
      RawHttp.Response notModified = client.get("/304", "");
      assertThat(notModified.status()).isEqualTo(304);
      assertThat(notModified.header("connection")).isNull();
      client.write("HEAD /chunked-head HTTP/1.1\r\nHost: t\r\n\r\n");
      RawHttp.Response head = client.read(true);
      assertThat(head.status()).isEqualTo(200);
      assertThat(head.header("connection")).isNull();
      assertThat(client.get("/after", "").body()).isEqualTo("body");
    }
    try (RawHttp client = new RawHttp(proxyPort)) {
      RawHttp.Response closing = client.get("/", "Connection: close\r\n");
      assertThat(closing.header("connection")).isEqualTo("close");
      assertThat(client.closedByPeer()).isTrue();
    }
    try (RawHttp client = new RawHttp(proxyPort)) {
      RawHttp.Response old = client.exchange("GET / HTTP/1.0\r\n\r\n");
      assertThat(old.body()).isEqualTo("body");
      assertThat(old.header("connection")).isEqualTo("close");
      assertThat(client.closedByPeer()).isTrue();
    }
    // The upstream connection served all three requests of the first client connection (the
    // other client connections may live on another event loop, with a pool of its own).
    assertThat(origin.requests)
        .extracting(TestOrigin.Recorded::connection)
        .hasSize(5)
        .first()
        .satisfies(
            first ->
                assertThat(origin.requests.stream().limit(3))
                    .allMatch(r -> r.connection().equals(first)));
  }

  @Test
  void aPostBodyIsForwarded() throws Exception {
    TestOrigin origin =
        origin(
            TestOrigin.http1(
                originGroup, req -> TestOrigin.text("got " + req.content().readableBytes())));
    startProxy(new RecordingPolicy(origin.target()));

    HttpResponse<String> response =
        http1.send(
            HttpRequest.newBuilder(uri("/post"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(100_000)))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.body()).isEqualTo("got 100000");
    assertThat(origin.requests.take().headers().get("content-length")).isEqualTo("100000");
  }

  @Test
  void hopByHopHeadersAreRemovedBothWays() throws Exception {
    TestOrigin origin =
        origin(
            TestOrigin.http1(
                originGroup,
                req -> {
                  FullHttpResponse r = TestOrigin.text("ok");
                  r.headers()
                      .add("Connection", "X-Resp-Hop")
                      .add("X-Resp-Hop", "1")
                      .add("Keep-Alive", "timeout=5")
                      .add("Proxy-Authenticate", "Basic")
                      .add("X-Resp-Kept", "1");
                  return r;
                }));
    startProxy(new RecordingPolicy(origin.target()));

    RawHttp.Response response;
    try (RawHttp client = new RawHttp(proxyPort)) {
      response =
          client.get(
              "/",
              "Connection: keep-alive, X-Hop\r\n"
                  + "X-Hop: secret\r\n"
                  + "Keep-Alive: timeout=5\r\n"
                  + "Proxy-Connection: keep-alive\r\n"
                  + "Proxy-Authorization: Basic abc\r\n"
                  + "TE: trailers, deflate\r\n"
                  + "Upgrade: something\r\n"
                  + "X-Kept: 1\r\n");
    }

    TestOrigin.Recorded seen = origin.requests.take();
    assertThat(seen.headers().contains("X-Hop")).isFalse();
    assertThat(seen.headers().contains("Keep-Alive")).isFalse();
    assertThat(seen.headers().contains("Proxy-Connection")).isFalse();
    assertThat(seen.headers().contains("Proxy-Authorization")).isFalse();
    assertThat(seen.headers().contains("Upgrade")).isFalse();
    assertThat(seen.headers().get("TE")).isEqualTo("trailers");
    assertThat(seen.headers().get("X-Kept")).isEqualTo("1");
    assertThat(seen.headers().get("Connection")).isNull();

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.header("x-resp-hop")).isNull();
    assertThat(response.header("keep-alive")).isNull();
    assertThat(response.header("proxy-authenticate")).isNull();
    assertThat(response.header("connection")).isNull();
    assertThat(response.header("x-resp-kept")).isEqualTo("1");
  }

  @Test
  void theClientIsAppendedToXForwardedFor() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> TestOrigin.text("ok")));
    startProxy(new RecordingPolicy(origin.target()));

    try (RawHttp client = new RawHttp(proxyPort)) {
      client.get("/", "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2\r\n");
      client.get("/", "");
    }

    assertThat(origin.requests.take().headers().get("X-Forwarded-For"))
        .isEqualTo("10.0.0.1, 10.0.0.2, 127.0.0.1");
    TestOrigin.Recorded second = origin.requests.take();
    assertThat(second.headers().get("X-Forwarded-For")).isEqualTo("127.0.0.1");
    assertThat(second.headers().contains("Forwarded")).isFalse();
  }

  @Test
  void theForwardedShimUsesTheIncomingHeadersWhenThePolicyAsks() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> TestOrigin.text("ok")));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    policy.forwardedShim = true;
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      client.get(
          "/",
          "X-Forwarded-For: 1.2.3.4, ::1\r\nX-Forwarded-Host: h\r\nX-Forwarded-Proto: https\r\n");
      client.get("/", "Forwarded: for=a\r\nX-Forwarded-For: 1.2.3.4\r\n");
    }

    TestOrigin.Recorded first = origin.requests.take();
    assertThat(first.headers().get("Forwarded"))
        .isEqualTo("for=1.2.3.4;host=h;proto=https, for=\"[::1]\"");
    assertThat(first.headers().get("X-Forwarded-For")).isEqualTo("1.2.3.4, ::1, 127.0.0.1");
    assertThat(origin.requests.take().headers().get("Forwarded")).isEqualTo("for=a");
  }

  @Test
  void thePolicyRewritesRequestAndResponseHeaders() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> TestOrigin.text("ok")));
    RecordingPolicy policy =
        new RecordingPolicy(origin.target()) {
          @Override
          public void onResponseHeaders(
              ProxyExchange exchange, io.netty.handler.codec.http.HttpResponse response) {
            response.headers().set("X-Cold-Start", "true");
          }
        };
    policy.onRequest =
        ex -> {
          ex.request().headers().set("K-Proxy-Request", "activator");
          ex.request().headers().remove("Knative-Serving-Revision");
          ex.forward(policy.target);
        };
    startProxy(policy);

    RawHttp.Response response;
    try (RawHttp client = new RawHttp(proxyPort)) {
      response = client.get("/", "Knative-Serving-Revision: rev-1\r\n");
    }

    TestOrigin.Recorded seen = origin.requests.take();
    assertThat(seen.headers().get("K-Proxy-Request")).isEqualTo("activator");
    assertThat(seen.headers().contains("Knative-Serving-Revision")).isFalse();
    assertThat(response.header("x-cold-start")).isEqualTo("true");
  }

  @Test
  void aRequestWithoutHostGetsTheTargetsAuthorityOnEveryAttempt() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> TestOrigin.text("ok")));
    UpstreamTarget refused = UpstreamTarget.of("127.0.0.1", closedPort());
    RecordingPolicy policy =
        new RecordingPolicy(refused) {
          @Override
          public Retry onConnectFailure(
              ProxyExchange exchange, UpstreamTarget failed, Throwable cause, int attempt) {
            return Retry.to(origin.target());
          }
        };
    policy.onRequest =
        ex -> {
          // The activator's RewriteHostIn: the Host moves to K-Original-Host.
          ex.request().headers().set("K-Original-Host", ex.request().headers().get("Host"));
          ex.request().headers().remove("Host");
          ex.forward(refused);
        };
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      assertThat(client.get("/", "").status()).isEqualTo(200);
    }

    TestOrigin.Recorded seen = origin.requests.take();
    assertThat(seen.headers().get("Host")).isEqualTo(origin.target().authority());
    assertThat(seen.headers().get("K-Original-Host")).isEqualTo("test");
  }

  @Test
  void decisionsOffTheEventLoopAreRefused() throws Exception {
    RecordingPolicy policy = new RecordingPolicy(null);
    policy.onRequest = ex -> {};
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      client.write("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
      ProxyExchange ex = policy.exchanges.poll(30, java.util.concurrent.TimeUnit.SECONDS);
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> ex.respond(HttpResponseStatus.OK, "x"))
          .isInstanceOf(IllegalStateException.class);
      ex.eventLoop().execute(() -> ex.respond(HttpResponseStatus.OK, "on the loop"));
      assertThat(client.read().body()).isEqualTo("on the loop\n");
    }
  }

  @Test
  void aRefusedConnectionIsA502WithGoStyleText() throws Exception {
    int closedPort = closedPort();
    RecordingPolicy policy = new RecordingPolicy(UpstreamTarget.of("127.0.0.1", closedPort));
    startProxy(policy);

    HttpResponse<String> response =
        http1.send(HttpRequest.newBuilder(uri("/")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(response.body())
        .isEqualTo("dial tcp 127.0.0.1:" + closedPort + ": connect: connection refused");
    assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.CONNECT_FAILED);
    assertThat(policy.outcomes.get(0).status()).isEqualTo(502);
  }

  @Test
  void theRetryHookMovesARefusedRequestToAnotherTarget() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> TestOrigin.text("second")));
    UpstreamTarget refused = UpstreamTarget.of("127.0.0.1", closedPort());
    List<String> failures = new CopyOnWriteArrayList<>();
    RecordingPolicy policy =
        new RecordingPolicy(refused) {
          @Override
          public Retry onConnectFailure(
              ProxyExchange exchange, UpstreamTarget failed, Throwable cause, int attempt) {
            failures.add(failed + "#" + attempt);
            return Retry.to(origin.target(), java.time.Duration.ofMillis(10));
          }
        };
    startProxy(policy);

    HttpResponse<String> response =
        http1.send(
            HttpRequest.newBuilder(uri("/"))
                .POST(HttpRequest.BodyPublishers.ofString("payload"))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.body()).isEqualTo("second");
    assertThat(origin.requests.take().body()).isEqualTo("payload");
    assertThat(failures).containsExactly(refused + "#1");
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).upstreamAttempts()).isEqualTo(2);
  }

  @Test
  void retriesStopAtTheAttemptLimit() throws Exception {
    UpstreamTarget refused = UpstreamTarget.of("127.0.0.1", closedPort());
    AtomicInteger asked = new AtomicInteger();
    RecordingPolicy policy =
        new RecordingPolicy(refused) {
          @Override
          public Retry onConnectFailure(
              ProxyExchange exchange, UpstreamTarget failed, Throwable cause, int attempt) {
            asked.incrementAndGet();
            return Retry.to(refused);
          }
        };
    startProxy(policy, b -> b.maxUpstreamAttempts(3));

    HttpResponse<String> response =
        http1.send(HttpRequest.newBuilder(uri("/")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(asked.get()).isEqualTo(2);
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).upstreamAttempts()).isEqualTo(3);
  }

  @Test
  void aStaleKeptAliveConnectionIsRetriedOnAFreshOne() throws Exception {
    // The origin drops every connection's second request without answering.
    TestOrigin origin =
        origin(
            TestOrigin.http1(
                originGroup,
                () ->
                    new io.netty.channel.ChannelInboundHandlerAdapter() {
                      int requests;

                      @Override
                      public void channelRead(
                          io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                        io.netty.util.ReferenceCountUtil.release(msg);
                        if (msg instanceof io.netty.handler.codec.http.HttpRequest
                            && ++requests == 2) {
                          ctx.close();
                        } else if (msg instanceof io.netty.handler.codec.http.LastHttpContent) {
                          ctx.writeAndFlush(TestOrigin.text("fine"));
                        }
                      }
                    }));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    startProxy(policy, b -> b.pool(UpstreamPoolConfig.DEFAULT));

    try (RawHttp client = new RawHttp(proxyPort)) {
      assertThat(client.get("/1", "").body()).isEqualTo("fine");
      assertThat(client.get("/2", "").body()).isEqualTo("fine");
    }

    assertThat(origin.accepted.get()).isEqualTo(2);
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 2);
    assertThat(policy.outcomes.get(1).kind()).isEqualTo(ExchangeOutcome.Kind.PROXIED);
    assertThat(policy.outcomes.get(1).upstreamAttempts()).isEqualTo(2);
  }

  @Test
  void anUpstreamThatClosesWithoutAnsweringIsA502() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> null));
    origin.requests.clear();
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    policy.onRequest = ex -> ex.forward(policy.target);
    startProxy(policy);
    // Close the origin's connection as soon as the request arrived.
    Thread closer =
        new Thread(
            () -> {
              try {
                origin.requests.take();
                origin.channels.close();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    closer.start();

    HttpResponse<String> response =
        http1.send(HttpRequest.newBuilder(uri("/")).build(), HttpResponse.BodyHandlers.ofString());
    closer.join();

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(response.body()).isEqualTo("EOF");
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.UPSTREAM_ERROR);
  }

  @Test
  void anEarlyUpstreamAnswerEndsTheExchangeAndTheRestOfTheBodyIsDiscarded() throws Exception {
    // The origin answers 413 as soon as it sees the head, without reading the body.
    TestOrigin origin =
        origin(
            TestOrigin.http1(
                originGroup,
                () ->
                    new io.netty.channel.ChannelInboundHandlerAdapter() {
                      @Override
                      public void channelRead(
                          io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof io.netty.handler.codec.http.HttpRequest) {
                          FullHttpResponse r = TestOrigin.text("too big");
                          r.setStatus(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE);
                          ctx.writeAndFlush(r);
                        }
                        io.netty.util.ReferenceCountUtil.release(msg);
                      }
                    }));
    RecordingPolicy policy = new RecordingPolicy(origin.target());
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      client.write("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
      client.write(new byte[1000]);
      RawHttp.Response early = client.read();
      assertThat(early.status()).isEqualTo(413);
      client.write(new byte[99_000]);
      // The connection is still usable; the first upstream connection was not reused.
      assertThat(client.get("/next", "").status()).isEqualTo(413);
    }
    assertThat(origin.accepted.get()).isEqualTo(2);
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 2);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.PROXIED);
  }

  @Test
  void anUpstreamConnectionCloseIsNotReused() throws Exception {
    TestOrigin origin =
        origin(
            TestOrigin.http1(
                originGroup,
                req -> {
                  FullHttpResponse r = TestOrigin.text("once");
                  r.headers().set("Connection", "close");
                  return r;
                }));
    startProxy(new RecordingPolicy(origin.target()));

    try (RawHttp client = new RawHttp(proxyPort)) {
      RawHttp.Response first = client.get("/", "");
      assertThat(first.header("connection")).isNull();
      assertThat(client.get("/", "").body()).isEqualTo("once");
    }
    assertThat(origin.accepted.get()).isEqualTo(2);
  }

  @Test
  void thePolicyAnswersLocallyGoStyle() throws Exception {
    RecordingPolicy policy = new RecordingPolicy(null);
    policy.onRequest =
        ex -> ex.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, "pending request queue full");
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      RawHttp.Response first = client.get("/", "");
      assertThat(first.status()).isEqualTo(503);
      assertThat(first.body()).isEqualTo("pending request queue full\n");
      assertThat(first.header("content-type")).isEqualTo("text/plain; charset=utf-8");
      assertThat(first.header("x-content-type-options")).isEqualTo("nosniff");
      // The connection stays usable, and a body the policy never wanted is discarded.
      RawHttp.Response second =
          client.exchange(
              "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + "b".repeat(5000));
      assertThat(second.status()).isEqualTo(503);
      assertThat(client.get("/", "").status()).isEqualTo(503);
    }
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 3);
    assertThat(policy.outcomes).allMatch(ExchangeOutcome::localResponse);
  }

  @Test
  void aLargeUnreadBodyClosesTheConnectionAfterALocalAnswer() throws Exception {
    RecordingPolicy policy = new RecordingPolicy(null);
    policy.onRequest = ex -> ex.respond(HttpResponseStatus.FORBIDDEN, "no");
    startProxy(policy, b -> b.maxDiscardBytes(1024));

    try (RawHttp client = new RawHttp(proxyPort)) {
      client.write("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\n");
      client.write(new byte[200_000]);
      assertThat(client.read().status()).isEqualTo(403);
      assertThat(client.closedByPeer()).isTrue();
    } catch (java.net.SocketException reset) {
      // The proxy may reset while we still write: that is the connection closing too.
    }
  }

  @Test
  void aThrowingPolicyIsA500() throws Exception {
    RecordingPolicy policy = new RecordingPolicy(null);
    policy.onRequest =
        ex -> {
          throw new IllegalStateException("boom");
        };
    startProxy(policy);

    HttpResponse<String> response =
        http1.send(HttpRequest.newBuilder(uri("/")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(500);
  }

  @Test
  void oversizedHeadsGet431AndGarbageGets400() throws Exception {
    startProxy(new RecordingPolicy(null), b -> b.maxHeaderSize(1024).maxInitialLineLength(512));

    try (RawHttp client = new RawHttp(proxyPort)) {
      RawHttp.Response response = client.get("/", "X-Big: " + "a".repeat(2000) + "\r\n");
      assertThat(response.status()).isEqualTo(431);
      assertThat(response.body()).isEqualTo("431 Request Header Fields Too Large");
      assertThat(client.closedByPeer()).isTrue();
    }
    try (RawHttp client = new RawHttp(proxyPort)) {
      RawHttp.Response response = client.get("/" + "p".repeat(1000), "");
      assertThat(response.status()).isEqualTo(431);
    }
    try (RawHttp client = new RawHttp(proxyPort)) {
      RawHttp.Response response = client.exchange("GET / HTTP/1.1\r\nBad Header\r\n\r\n");
      assertThat(response.status()).isEqualTo(400);
      assertThat(response.body()).isEqualTo("400 Bad Request");
    }
    assertThat(proxy.rejectedRequests()).isEqualTo(3);
  }

  @Test
  void headerReadTimeoutClosesASlowClient() throws Exception {
    startProxy(
        new RecordingPolicy(null), b -> b.headerReadTimeout(java.time.Duration.ofMillis(200)));

    try (RawHttp client = new RawHttp(proxyPort)) {
      client.write("GET / HTTP/1.1\r\nHost: slow\r\n");
      assertThat(client.closedByPeer()).isTrue();
    }
  }

  @Test
  void idleKeepAliveConnectionsTimeOut() throws Exception {
    RecordingPolicy policy = new RecordingPolicy(null);
    policy.onRequest = ex -> ex.respond(HttpResponseStatus.OK, "ok");
    startProxy(policy, b -> b.keepAliveIdleTimeout(java.time.Duration.ofMillis(200)));

    try (RawHttp client = new RawHttp(proxyPort)) {
      assertThat(client.get("/", "").status()).isEqualTo(200);
      assertThat(client.closedByPeer()).isTrue();
    }
  }

  static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
