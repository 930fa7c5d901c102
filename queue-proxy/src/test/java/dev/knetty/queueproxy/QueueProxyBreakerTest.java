package dev.knetty.queueproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.breaker.Breaker;
import dev.knetty.common.testing.RawHttp;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Knative's breaker in front of the app: CC executing, 10 x CC waiting, the next one 503. */
class QueueProxyBreakerTest extends QueueProxyTestSupport {

  @Test
  void withConcurrencyTwoTwentyTwoAreAdmittedAndTheTwentyThirdIsRejectedAtOnce() throws Exception {
    startApp();
    startQueueProxy(config().containerConcurrency(2).build());
    Breaker breaker = qp.policy().breaker();

    List<CompletableFuture<HttpResponse<String>>> admitted = new ArrayList<>();
    for (int i = 0; i < 22; i++) {
      admitted.add(getAsync("/hold"));
    }
    await().atMost(WAIT).until(() -> app.heldCount() == 2 && breaker.inFlight() == 22);
    assertThat(breaker.waiting()).isEqualTo(20);

    HttpResponse<String> rejected = get("/hold");

    assertThat(rejected.statusCode()).isEqualTo(503);
    assertThat(rejected.body()).isEqualTo("pending request queue full\n");
    assertThat(rejected.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
    // Answered while all 22 were still inside: nobody was released for it.
    assertThat(admitted).noneMatch(CompletableFuture::isDone);
    assertThat(app.heldCount()).isEqualTo(2);

    // Probes do not pass the breaker: ready while it is full.
    try (RawHttp probe = new RawHttp(qp.servingPort())) {
      RawHttp.Response r =
          probe.get("/", "User-Agent: kube-probe/1.30\r\nK-Network-Probe: queue\r\n");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("queue");
    }

    await()
        .atMost(WAIT)
        .until(
            () -> {
              app.releaseAll();
              return admitted.stream().allMatch(CompletableFuture::isDone);
            });
    for (CompletableFuture<HttpResponse<String>> f : admitted) {
      assertThat(f.get().statusCode()).isEqualTo(200);
      assertThat(f.get().body()).isEqualTo("released");
    }
    assertThat(app.maxInFlight.get()).isEqualTo(2);
    assertThat(app.served.get()).isEqualTo(22);
    await().atMost(WAIT).until(() -> breaker.inFlight() == 0);
    assertThat(count("queueproxy.breaker.rejections")).isEqualTo(1);
  }

  @Test
  void withConcurrencyOneTheAppNeverServesTwoAtOnce() throws Exception {
    startApp();
    startQueueProxy(config().containerConcurrency(1).build());

    List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      responses.add(getAsync("/sleep/20"));
    }
    for (CompletableFuture<HttpResponse<String>> f : responses) {
      assertThat(f.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    assertThat(app.served.get()).isEqualTo(11);
    assertThat(app.maxInFlight.get()).isEqualTo(1);
  }

  @Test
  void aClientThatGoesAwayWhileWaitingLeavesTheQueue() throws Exception {
    startApp();
    startQueueProxy(config().containerConcurrency(1).build());
    Breaker breaker = qp.policy().breaker();
    CompletableFuture<HttpResponse<String>> first = getAsync("/hold/first");
    await().atMost(WAIT).until(() -> app.heldCount() == 1);

    RawHttp second = new RawHttp(qp.servingPort());
    second.write("GET /hold/second HTTP/1.1\r\nHost: test\r\n\r\n");
    await().atMost(WAIT).until(() -> breaker.waiting() == 1 && breaker.inFlight() == 2);
    second.close();

    await().atMost(WAIT).until(() -> breaker.waiting() == 0 && breaker.inFlight() == 1);
    app.releaseAll();
    assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    await().atMost(WAIT).until(() -> breaker.inFlight() == 0);
    // The second request never reached the app.
    assertThat(app.requests).extracting(TestApp.Seen::uri).containsExactly("/hold/first");
    awaitCount(1, "queueproxy.client.aborts");
  }

  @Test
  void withoutContainerConcurrencyThereIsNoBreaker() throws Exception {
    startApp();
    startQueueProxy(config().containerConcurrency(0).build());
    assertThat(qp.policy().breaker()).isNull();

    List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      responses.add(getAsync("/hold"));
    }
    await().atMost(WAIT).until(() -> app.heldCount() == 30);
    app.releaseAll();
    for (CompletableFuture<HttpResponse<String>> f : responses) {
      assertThat(f.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void timeSpentWaitingCountsAgainstTheRevisionTimeout() throws Exception {
    startApp();
    startQueueProxy(
        config().containerConcurrency(1).revisionTimeout(Duration.ofMillis(500)).build());
    Breaker breaker = qp.policy().breaker();
    // A websocket holds the only slot for as long as it is open, past every timeout.
    LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
    WebSocket ws =
        http.newWebSocketBuilder()
            .buildAsync(URI.create("ws://127.0.0.1:" + qp.servingPort() + "/ws"), collect(received))
            .get(30, TimeUnit.SECONDS);
    await().atMost(WAIT).until(() -> breaker.executing() == 1);

    HttpResponse<String> waited = get("/never-admitted");

    assertThat(waited.statusCode()).isEqualTo(504);
    assertThat(waited.body()).isEqualTo("request timeout");
    assertThat(breaker.waiting()).isZero();
    assertThat(app.requests).extracting(TestApp.Seen::uri).doesNotContain("/never-admitted");
    ws.sendText("still open", true);
    assertThat(received.poll(30, TimeUnit.SECONDS)).isEqualTo("echo:still open");
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(30, TimeUnit.SECONDS);
    await().atMost(WAIT).until(() -> breaker.inFlight() == 0);
  }

  static WebSocket.Listener collect(LinkedBlockingQueue<String> received) {
    return new WebSocket.Listener() {
      @Override
      public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        received.add(data.toString());
        webSocket.request(1);
        return null;
      }
    };
  }
}
