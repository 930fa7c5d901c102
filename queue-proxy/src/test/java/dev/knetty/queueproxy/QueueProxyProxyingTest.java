package dev.knetty.queueproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.testing.H2cClient;
import dev.knetty.common.testing.RawHttp;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The request path to the app: headers, protocols, timeouts and failures. */
class QueueProxyProxyingTest extends QueueProxyTestSupport {

  @Test
  void headersAreRewrittenAsKnativesQueueProxyDoes() throws Exception {
    startApp();
    startQueueProxy(config().build());

    RawHttp.Response r =
        raw()
            .exchange(
                "GET /path?q=1 HTTP/1.1\r\n"
                    + "Host: hello.default.svc\r\n"
                    + "K-Original-Host: hello.example.com\r\n"
                    + "Knative-Serving-Revision: hello-00001\r\n"
                    + "Knative-Serving-Namespace: default\r\n"
                    + "K-Proxy-Request: activator\r\n"
                    + "X-Forwarded-For: 203.0.113.7, 10.0.0.2\r\n"
                    + "X-Forwarded-Proto: https\r\n"
                    + "\r\n");

    assertThat(r.status()).isEqualTo(200);
    TestApp.Seen seen = app.requests.poll(30, TimeUnit.SECONDS);
    assertThat(seen.uri()).isEqualTo("/path?q=1");
    assertThat(seen.headers().get("Host")).isEqualTo("hello.example.com");
    assertThat(seen.headers().contains("K-Original-Host")).isFalse();
    assertThat(seen.headers().contains("Knative-Serving-Revision")).isFalse();
    assertThat(seen.headers().contains("Knative-Serving-Namespace")).isFalse();
    assertThat(seen.headers().get("K-Proxy-Request")).isEqualTo("activator");
    assertThat(seen.headers().get("Forwarded"))
        .isEqualTo("for=203.0.113.7;proto=https, for=10.0.0.2");
    assertThat(seen.headers().get("X-Forwarded-For")).isEqualTo("203.0.113.7, 10.0.0.2, 127.0.0.1");
  }

  @Test
  void anEmptyOriginalHostChangesNothing() throws Exception {
    startApp();
    startQueueProxy(config().build());

    raw().get("/", "K-Original-Host: \r\n");

    TestApp.Seen seen = app.requests.poll(30, TimeUnit.SECONDS);
    assertThat(seen.headers().get("Host")).isEqualTo("test");
    assertThat(seen.headers().contains("Forwarded")).isFalse();
  }

  @Test
  void http11AndH2cBothReachTheApp() throws Exception {
    startApp();
    startQueueProxy(config().containerConcurrency(1).build());

    assertThat(get("/one").body()).isEqualTo("ok");
    H2cClient h2c = closeLater(H2cClient.withOwnEventLoop(transport, qp.servingPort()));
    List<CompletableFuture<H2cClient.Response>> streams = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      streams.add(h2c.get("/sleep/5"));
    }
    for (CompletableFuture<H2cClient.Response> s : streams) {
      H2cClient.Response r = s.get(30, TimeUnit.SECONDS);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("slept");
    }

    List<TestApp.Seen> seen = new ArrayList<>();
    app.requests.drainTo(seen);
    assertThat(seen).hasSize(6);
    assertThat(seen.get(0).h2()).isFalse();
    // h2c in, h2c to the app (Knative's auto transport), one at a time under the breaker.
    assertThat(seen.subList(1, 6)).allMatch(TestApp.Seen::h2);
    assertThat(app.maxInFlight.get()).isEqualTo(1);
  }

  @Test
  void theRevisionTimeoutsAnswer504() throws Exception {
    startApp();
    startQueueProxy(config().revisionTimeout(Duration.ofMillis(300)).build());

    HttpResponse<String> total = get("/hold/total");

    assertThat(total.statusCode()).isEqualTo(504);
    assertThat(total.body()).isEqualTo("request timeout");
    qp.close();
    startQueueProxy(
        config()
            .revisionTimeout(Duration.ofSeconds(60))
            .responseStartTimeout(Duration.ofMillis(300))
            .build());

    HttpResponse<String> responseStart = get("/hold/start");

    assertThat(responseStart.statusCode()).isEqualTo(504);
    assertThat(responseStart.body()).isEqualTo("request timeout");
    awaitCount(1, "queueproxy.timeouts");
    assertThat(count("queueproxy.requests", "code_class", "5xx")).isEqualTo(1);
  }

  @Test
  void theIdleTimeoutAnswers504() throws Exception {
    startApp();
    startQueueProxy(
        config()
            .revisionTimeout(Duration.ofSeconds(60))
            .idleTimeout(Duration.ofMillis(300))
            .build());

    HttpResponse<String> idle = get("/hold/idle");

    assertThat(idle.statusCode()).isEqualTo(504);
    assertThat(idle.body()).isEqualTo("request timeout");
  }

  @Test
  void aStartedStreamingResponseIsNotCutByTheResponseStartTimeout() throws Exception {
    startApp();
    startQueueProxy(
        config()
            .revisionTimeout(Duration.ofSeconds(60))
            .responseStartTimeout(Duration.ofMillis(200))
            .build());

    // The head comes at once; the chunks come well after the response-start deadline.
    HttpResponse<String> streamed = get("/stream/3/300");

    assertThat(streamed.statusCode()).isEqualTo(200);
    assertThat(streamed.body()).isEqualTo("chunk3;chunk2;chunk1;");
  }

  @Test
  void aWebsocketOutlivesTheResponseStartAndTotalTimeouts() throws Exception {
    startApp();
    startQueueProxy(
        config()
            .revisionTimeout(Duration.ofMillis(600))
            .responseStartTimeout(Duration.ofMillis(300))
            .build());
    LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
    WebSocket ws =
        http.newWebSocketBuilder()
            .buildAsync(
                URI.create("ws://127.0.0.1:" + qp.servingPort() + "/ws"),
                QueueProxyBreakerTest.collect(received))
            .get(30, TimeUnit.SECONDS);
    // A request sent after the websocket opened has timed out: so would the websocket have.
    assertThat(get("/hold/later").statusCode()).isEqualTo(504);

    ws.sendText("hello", true);

    assertThat(received.poll(30, TimeUnit.SECONDS)).isEqualTo("echo:hello");
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(30, TimeUnit.SECONDS);
  }

  @Test
  void anAppThatDoesNotListenIsA502AtOnce() throws Exception {
    startApp();
    int closed = freePort();
    startQueueProxy(config().userPort(closed).build());

    HttpResponse<String> r = get("/");

    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body())
        .isEqualTo("dial tcp 127.0.0.1:" + closed + ": connect: connection refused");
    awaitCount(1, "queueproxy.upstream.errors", "reason", "connect");
  }

  @Test
  void anAppThatDiesTurnsUnready() throws Exception {
    startApp();
    startQueueProxy(config().build(), b -> b.probePollTimeout(Duration.ofMillis(300)));
    String kubelet = "User-Agent: kube-probe/1.30\r\nK-Network-Probe: queue\r\n";
    assertThat(raw().get("/", kubelet).status()).isEqualTo(200);

    app.close();

    try (RawHttp c = new RawHttp(qp.servingPort())) {
      assertThat(c.get("/", kubelet).status()).isEqualTo(503);
    }
    assertThat(get("/").statusCode()).isEqualTo(502);
  }

  @Test
  void anUnreachableAutoscalerDoesNotDisturbServing() throws Exception {
    startApp();
    int nobody = freePort();
    startQueueProxy(config().autoscaler("127.0.0.1:" + nobody).build());

    for (int i = 0; i < 20; i++) {
      assertThat(get("/").statusCode()).isEqualTo(200);
    }
    await()
        .atMost(WAIT)
        .until(
            () ->
                qp.meterRegistry().get("queueproxy.kmp.reconnects").functionCounter().count() >= 2);
    assertThat(qp.meterRegistry().get("queueproxy.kmp.connected").gauge().value()).isZero();
    // The stats are still taken every second, for a scraper.
    await()
        .atMost(WAIT)
        .until(() -> StatDecoder.decode(qp.reporter().latest()).processUptime() > 0);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
