package dev.knetty.queueproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.testing.RawHttp;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Knative's SIGTERM sequence and the preStop hook's {@code /wait-for-drain}. */
class QueueProxyDrainTest extends QueueProxyTestSupport {

  private static final String KUBELET = "User-Agent: kube-probe/1.30\r\nK-Network-Probe: queue\r\n";

  private int probeStatus() throws IOException {
    try (RawHttp c = new RawHttp(qp.servingPort())) {
      return c.get("/", KUBELET).status();
    }
  }

  @Test
  void drainUnderContinuousLoadCompletesEveryRequest() throws Exception {
    startApp();
    // The quiet period is restarted by every request; 2 s survives a busy test machine's stalls.
    startQueueProxy(
        config().containerConcurrency(4).drainQuietPeriod(Duration.ofSeconds(2)).build());
    LoadLoop load = new LoadLoop(http, uri("/sleep/2"), 4);
    try {
      await().atMost(WAIT).until(() -> load.ok() >= 50);

      CompletableFuture<Void> drained = qp.drain();
      load.mark();

      assertThat(probeStatus()).isEqualTo(503);
      await().atMost(WAIT).until(() -> load.okAfterMark() >= 200);
      assertThat(drained).isNotDone();
      load.close();

      drained.get(30, TimeUnit.SECONDS);
    } finally {
      load.close();
    }
    assertThat(load.failures()).isEmpty();
    assertThat(app.served.get()).isEqualTo(load.ok());
    assertThatThrownBy(() -> new Socket("127.0.0.1", qp.servingPort()).close())
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void requestsInFlightFinishAfterTheQuietPeriod() throws Exception {
    startApp();
    startQueueProxy(config().drainQuietPeriod(Duration.ofMillis(100)).build());
    CompletableFuture<HttpResponse<String>> inFlight = getAsync("/hold");
    await().atMost(WAIT).until(() -> app.heldCount() == 1);

    CompletableFuture<Void> drained = qp.drain();
    await().atMost(WAIT).until(() -> qp.proxyServer().isDraining());

    assertThat(drained).isNotDone();
    app.releaseAll();
    HttpResponse<String> r = inFlight.get(30, TimeUnit.SECONDS);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("connection")).hasValue("close");
    drained.get(30, TimeUnit.SECONDS);
  }

  @Test
  void theDrainTimeoutBoundsTheWaitForRequestsInFlight() throws Exception {
    startApp();
    startQueueProxy(
        config().drainQuietPeriod(Duration.ZERO).drainTimeout(Duration.ofMillis(300)).build());
    CompletableFuture<HttpResponse<String>> stuck = getAsync("/hold");
    await().atMost(WAIT).until(() -> app.heldCount() == 1);

    qp.drain().get(30, TimeUnit.SECONDS);
    qp.close();

    assertThat(stuck).failsWithin(WAIT);
  }

  @Test
  void waitForDrainAnswersAfterTheQuietPeriodWhenSigtermFollows() throws Exception {
    startApp();
    startQueueProxy(config().drainQuietPeriod(Duration.ofMillis(500)).build());
    assertThat(probeStatus()).isEqualTo(200);

    CompletableFuture<HttpResponse<String>> preStop = waitForDrain();
    await().atMost(WAIT).until(() -> probeStatus() == 503);
    qp.drain(); // SIGTERM, well within a second of the call

    assertThat(preStop.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(qp.isTerminating()).isTrue();
    qp.drain().get(30, TimeUnit.SECONDS);
  }

  @Test
  void waitForDrainWithoutSigtermResetsAfterASecond() throws Exception {
    startApp();
    startQueueProxy(config().drainQuietPeriod(Duration.ofMinutes(5)).build());

    CompletableFuture<HttpResponse<String>> preStop = waitForDrain();
    await().atMost(WAIT).until(() -> probeStatus() == 503);

    // Not the 5 minute quiet period: the reset answers it (a liveness restart of the app).
    assertThat(preStop.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(qp.isTerminating()).isFalse();
    assertThat(probeStatus()).isEqualTo(200);
    assertThat(get("/").statusCode()).isEqualTo(200);
  }

  @Test
  void waitForDrainIsTheOnlyAdminRoute() throws Exception {
    startApp();
    startQueueProxy(config().build());
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + qp.adminPort() + "/other"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(404);
  }

  private CompletableFuture<HttpResponse<String>> waitForDrain() {
    return http.sendAsync(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + qp.adminPort() + "/wait-for-drain"))
            .timeout(WAIT)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
