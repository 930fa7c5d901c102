package dev.knetty.queueproxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.common.testing.RawHttp;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Health checks and network probes on the serving port, routed as Knative's Drainer does: never to
 * the app, never through the breaker, never in the stats.
 */
class QueueProxyProbesTest extends QueueProxyTestSupport {

  private static final String KUBELET = "User-Agent: kube-probe/1.30\r\nK-Network-Probe: queue\r\n";

  private void startWithHttpProbe() {
    startApp();
    startQueueProxy(
        config()
            .containerConcurrency(1)
            .drainQuietPeriod(Duration.ofMinutes(1))
            .readinessProbes(
                List.of(
                    new ReadinessProbe(
                        new ReadinessProbe.HttpGet(
                            false, "127.0.0.1", app.port(), "/healthz", List.of()),
                        0,
                        0,
                        1)))
            .build(),
        b -> b.probePollTimeout(Duration.ofMillis(300)));
  }

  private RawHttp.Response probe(String headers) throws IOException {
    try (RawHttp c = new RawHttp(qp.servingPort())) {
      return c.get("/any/path", headers);
    }
  }

  @Test
  void everyHealthCheckIdentityProbesTheApp() throws Exception {
    startWithHttpProbe();
    for (String identity :
        List.of(
            "User-Agent: kube-probe/1.30\r\n",
            "K-Kubelet-Probe: queue\r\n",
            "User-Agent: Knative-Activator-Probe\r\n",
            "User-Agent: Knative-Autoscaling-Probe\r\n",
            "")) {
      int before = app.healthChecks.get();
      RawHttp.Response r = probe(identity + "K-Network-Probe: queue\r\n");
      assertThat(r.status()).as(identity).isEqualTo(200);
      assertThat(r.body()).isEqualTo("queue");
      assertThat(r.header("content-type")).isEqualTo("text/plain; charset=utf-8");
      // Re-probed every time: no caching.
      assertThat(app.healthChecks.get()).isGreaterThan(before);
    }
    assertThat(app.requests).isEmpty();
    assertThat(qp.meterRegistry().get("queueproxy.requests").counters())
        .allMatch(c -> c.count() == 0);
    assertThat(count("queueproxy.probes", "result", "ready")).isEqualTo(5);
  }

  @Test
  void anUnreadyAppGetsAnEmpty503AndReadinessFollowsTheApp() throws Exception {
    startWithHttpProbe();
    app.healthStatus.set(500);

    RawHttp.Response down = probe(KUBELET);

    assertThat(down.status()).isEqualTo(503);
    assertThat(down.body()).isEmpty();
    app.healthStatus.set(200);
    assertThat(probe(KUBELET).status()).isEqualTo(200);
  }

  @Test
  void aHealthCheckWithoutTheQueueValueIsABadRequest() throws Exception {
    startWithHttpProbe();

    RawHttp.Response none = probe("User-Agent: kube-probe/1.30\r\n");
    RawHttp.Response other = probe("K-Network-Probe: activator\r\n");

    assertThat(none.status()).isEqualTo(400);
    assertThat(none.body()).isEqualTo("unexpected probe header value: \n");
    assertThat(none.header("x-content-type-options")).isEqualTo("nosniff");
    assertThat(other.status()).isEqualTo(400);
    assertThat(other.body()).isEqualTo("unexpected probe header value: activator\n");
    assertThat(app.healthChecks.get()).isZero();
  }

  @Test
  void theIngressProbeNeedsAHashAndEchoesIt() throws Exception {
    startWithHttpProbe();

    RawHttp.Response missing = probe("K-Network-Probe: probe\r\n");
    RawHttp.Response ok = probe("K-Network-Probe: probe\r\nK-Network-Hash: abc123\r\n");

    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.body())
        .isEqualTo("a probe request must contain a non-empty \"K-Network-Hash\" header\n");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.header("k-network-hash")).isEqualTo("abc123");
    assertThat(ok.body()).isEmpty();
    assertThat(app.requests).isEmpty();
    assertThat(app.healthChecks.get()).isZero();
  }

  @Test
  void whileDrainingProbesAnswerShuttingDownAndRequestsStillFlow() throws Exception {
    startWithHttpProbe();
    qp.drain();

    RawHttp.Response health = probe(KUBELET);
    RawHttp.Response ingress = probe("K-Network-Probe: probe\r\nK-Network-Hash: h\r\n");

    assertThat(health.status()).isEqualTo(503);
    assertThat(health.body()).isEqualTo("shutting down\n");
    assertThat(ingress.status()).isEqualTo(503);
    assertThat(ingress.body()).isEqualTo("shutting down\n");
    assertThat(get("/").body()).isEqualTo("ok");
  }

  @Test
  void withoutAReadinessProbeTheAppCountsAsReady() throws Exception {
    startApp();
    startQueueProxy(config().readinessProbes(List.of()).build());
    app.close(); // even when it is gone, as in Knative

    assertThat(probe(KUBELET).status()).isEqualTo(200);
  }
}
