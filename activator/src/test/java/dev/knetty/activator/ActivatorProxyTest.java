package dev.knetty.activator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.activator.endpoints.PodEndpoint;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.testing.H2cClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Requests through the activator to fake pods: waiting, throttling, probing, retries, headers. */
class ActivatorProxyTest extends ActivatorTestSupport {

  @Test
  void requestsForARevisionWithoutPodsWaitAndAllCompleteWhenAPodAppears() {
    start(config());
    revision(HELLO, 0);
    List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      waiting.add(waitingGet(HELLO));
    }
    assertThat(waiting).noneMatch(CompletableFuture::isDone);

    FakePod pod = pod();
    endpoints(HELLO, pod);

    for (CompletableFuture<HttpResponse<String>> f : waiting) {
      HttpResponse<String> r = join(f);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).startsWith("pod " + pod.port());
      assertThat(r.headers().firstValue("X-Knetty-Cold-Start")).hasValue("true");
    }
    HttpResponse<String> warm = join(get(HELLO, "/"));
    assertThat(warm.headers().firstValue("X-Knetty-Cold-Start")).hasValue("false");
    assertThat(activator.meterRegistry().get("knetty.activator.cold.start.wait").timer().count())
        .isEqualTo(5);
    assertThat(activator.revision(HELLO).waiting()).isZero();
  }

  @Test
  void withContainerConcurrencyOneAPodNeverSeesTwoRequestsAtOnce() {
    start(config());
    revision(HELLO, 1);
    FakePod a = pod();
    FakePod b = pod();
    a.hold.set(true);
    b.hold.set(true);
    endpoints(HELLO, a, b);
    awaitHealthy(HELLO, 2);

    List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      responses.add(get(HELLO, "/"));
    }
    // Two proxied (one per pod), six waiting in the activator.
    await().atMost(WAIT).until(() -> a.heldCount() + b.heldCount() == 2);
    await().atMost(WAIT).until(() -> activator.revision(HELLO).waiting() == 6);
    assertThat(a.heldCount()).isEqualTo(1);
    assertThat(b.heldCount()).isEqualTo(1);

    int answered = 0;
    while (answered < 8) {
      await().atMost(WAIT).until(() -> a.heldCount() + b.heldCount() > 0);
      if (a.releaseOne()) {
        answered++;
      }
      if (b.releaseOne()) {
        answered++;
      }
    }
    for (CompletableFuture<HttpResponse<String>> f : responses) {
      assertThat(join(f).statusCode()).isEqualTo(200);
    }
    assertThat(a.maxActive).hasValue(1);
    assertThat(b.maxActive).hasValue(1);
  }

  @Test
  void aPodIsUsedAsSoonAsItAnswersItsProbeBeforeTheSourceCallsItReady() {
    start(config());
    revision(HELLO, 1);
    FakePod pod = pod();
    pod.healthy.set(false);
    source.setEndpoints(HELLO, List.of(PodEndpoint.notReady("127.0.0.1", pod.port())));
    CompletableFuture<HttpResponse<String>> f = waitingGet(HELLO);
    await().atMost(WAIT).until(() -> pod.probes.get() >= 2);
    assertThat(f).isNotDone();

    pod.healthy.set(true); // the queue-proxy's app became ready; the endpoint is still not ready

    assertThat(join(f).statusCode()).isEqualTo(200);
    assertThat(source.revisions().get(0).endpoints().get(0).ready()).isFalse();
  }

  @Test
  void aRefusedConnectionIsRetriedOnAnotherPodAndTheDeadPodLeavesTheRotation() {
    start(config());
    revision(HELLO, 1);
    FakePod p1 = pod();
    FakePod p2 = pod();
    endpoints(HELLO, p1, p2);
    awaitHealthy(HELLO, 2);
    // First-available tries pods in ip:port string order: kill the one tried first.
    FakePod first = p1.dest().compareTo(p2.dest()) < 0 ? p1 : p2;
    FakePod second = first == p1 ? p2 : p1;
    first.stopListening();

    HttpResponse<String> r = join(get(HELLO, "/"));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).startsWith("pod " + second.port());
    assertThat(activator.meterRegistry().get("knetty.activator.upstream.retries").counter().count())
        .isEqualTo(1);
    await().atMost(WAIT).until(() -> activator.revision(HELLO).throttler.pods() == 1);
    assertThat(activator.revision(HELLO).throttler.assignedTargets())
        .containsExactly(second.target());
  }

  @Test
  void aLonePodThatRefusesConnectionsIsRetriedThenGives502AndLeavesTheRotation() {
    start(config());
    revision(HELLO, 1);
    FakePod pod = pod();
    endpoints(HELLO, pod);
    awaitHealthy(HELLO, 1);
    pod.stopListening();

    HttpResponse<String> r = join(get(HELLO, "/"));

    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).isEqualTo("dial tcp " + pod.dest() + ": connect: connection refused");
    assertThat(
            activator
                .meterRegistry()
                .get("knetty.activator.upstream.errors")
                .tag("kind", "connect")
                .counter()
                .count())
        .isEqualTo(3.0);
    // With no other pod the same one is tried again, --connect-retries (2) times.
    assertThat(activator.meterRegistry().get("knetty.activator.upstream.retries").counter().count())
        .isEqualTo(2);
    await().atMost(WAIT).until(() -> activator.revision(HELLO).throttler.pods() == 0);
  }

  @Test
  void forwardedRequestsCarryKnativesHeadersAndLoseTheRoutingOnes() throws Exception {
    start(config());
    FakePod pod = servingPod(HELLO);

    Raw r =
        raw(
            "GET /path?q=1 HTTP/1.1\r\nHost: hello.default.svc.cluster.local\r\n"
                + "Knative-Serving-Revision: hello\r\nKnative-Serving-Namespace: default\r\n"
                + "K-Network-Hash: abc\r\nConnection: close");

    assertThat(r.status()).isEqualTo(200);
    FakePod.Seen seen = pod.requests.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(seen.uri()).isEqualTo("/path?q=1");
    assertThat(seen.headers().get("K-Proxy-Request")).isEqualTo("activator");
    assertThat(seen.headers().get("K-Original-Host")).isEqualTo("hello.default.svc.cluster.local");
    assertThat(seen.headers().get("Host")).isEqualTo(pod.dest());
    assertThat(seen.headers().get("X-Forwarded-For")).isEqualTo("127.0.0.1");
    assertThat(seen.headers().names())
        .map(String::toLowerCase)
        .doesNotContain(
            "knative-serving-revision",
            "knative-serving-namespace",
            "k-network-hash",
            "knetty-revision",
            "knetty-namespace");
  }

  @Test
  void anExistingOriginalHostIsKept() throws Exception {
    start(config());
    FakePod pod = servingPod(HELLO);

    raw(
        "GET / HTTP/1.1\r\nHost: hello.default\r\nK-Original-Host: example.com\r\nConnection: close");

    FakePod.Seen seen = pod.requests.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(seen.headers().get("K-Original-Host")).isEqualTo("example.com");
  }

  @Test
  void revisionsAreFoundByHeadersOrHostAndUnknownOnesGet404NamingTheLookup() throws Exception {
    start(config());
    FakePod pod = servingPod(HELLO);

    for (String host :
        List.of("hello.default", "hello.default.svc:80", "hello.default.svc.cluster.local:8012")) {
      assertThat(raw("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close").status())
          .as(host)
          .isEqualTo(200);
    }
    HttpResponse<String> byHeaders = join(get(HELLO, "/"));
    assertThat(byHeaders.statusCode()).isEqualTo(200);

    HttpResponse<String> unknown = join(get(RevisionKey.parse("default/nope"), "/"));
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).isEqualTo("revision \"default/nope\" not found\n");

    Raw noRevision = raw("GET / HTTP/1.1\r\nHost: www.example.com\r\nConnection: close");
    assertThat(noRevision.status()).isEqualTo(404);
    assertThat(noRevision.body()).contains("Host \"www.example.com\"", "Knetty-Revision");
    assertThat(
            activator
                .meterRegistry()
                .get("knetty.activator.rejected")
                .tag("reason", "unknown_revision")
                .counter()
                .count())
        .isEqualTo(2);
  }

  @Test
  void networkProbesAndKubeletProbesAreAnswered() throws Exception {
    start(config());

    Raw ingress = raw("GET / HTTP/1.1\r\nHost: x\r\nK-Network-Probe: probe\r\nK-Network-Hash: h1");
    assertThat(ingress.status()).isEqualTo(200);
    assertThat(ingress.headers()).containsEntry("k-network-hash", "h1");

    Raw noHash = raw("GET / HTTP/1.1\r\nHost: x\r\nK-Network-Probe: probe");
    assertThat(noHash.status()).isEqualTo(400);
    assertThat(noHash.body())
        .isEqualTo("a probe request must contain a non-empty \"K-Network-Hash\" header\n");

    Raw activatorProbe = raw("GET /healthz HTTP/1.1\r\nHost: x\r\nK-Network-Probe: activator");
    assertThat(activatorProbe.status()).isEqualTo(200);
    assertThat(activatorProbe.body()).isEqualTo("activator");

    Raw queue = raw("GET / HTTP/1.1\r\nHost: x\r\nK-Network-Probe: queue");
    assertThat(queue.status()).isEqualTo(400);
    assertThat(queue.body()).isEqualTo("unexpected probe header value: \"queue\"\n");

    Raw kubelet = raw("GET /anything HTTP/1.1\r\nHost: x\r\nUser-Agent: kube-probe/1.30");
    assertThat(kubelet.status()).as("no autoscaler configured").isEqualTo(200);
    Raw legacy = raw("GET / HTTP/1.1\r\nHost: x\r\nK-Kubelet-Probe: yes");
    assertThat(legacy.status()).isEqualTo(200);
  }

  @Test
  void h2cClientsAreProxiedOverH2c() {
    start(config());
    FakePod pod = servingPod(HELLO);

    H2cClient.Response r = h2c().get("hello.default", "/h2").orTimeout(60, TimeUnit.SECONDS).join();

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).startsWith("pod " + pod.port());
    assertThat(r.headers().get("x-knetty-cold-start")).isEqualTo("false");
  }

  @Test
  void websocketsPassThrough() {
    start(config());
    FakePod pod = servingPod(HELLO);
    CompletableFuture<String> echoed = new CompletableFuture<>();

    WebSocket ws =
        http.newWebSocketBuilder()
            .header("Knetty-Revision", "hello")
            .header("Knetty-Namespace", "default")
            .buildAsync(
                java.net.URI.create("ws://127.0.0.1:" + activator.port() + "/ws"),
                new WebSocket.Listener() {
                  @Override
                  public CompletionStage<?> onText(
                      WebSocket webSocket, CharSequence data, boolean last) {
                    echoed.complete(data.toString());
                    return null;
                  }
                })
            .orTimeout(60, TimeUnit.SECONDS)
            .join();
    ws.sendText("hi", true);

    assertThat(echoed.orTimeout(60, TimeUnit.SECONDS).join()).isEqualTo("echo hi");
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "").orTimeout(60, TimeUnit.SECONDS).join();
  }

  @Test
  void requestBodiesReachThePod() {
    start(config());
    revision(HELLO, 0);
    FakePod pod = pod();
    endpoints(HELLO, pod);

    HttpResponse<String> r =
        join(
            send(
                HELLO,
                HttpRequest.newBuilder(uri("/post"))
                    .POST(HttpRequest.BodyPublishers.ofString("x".repeat(100_000))),
                b -> {}));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("pod " + pod.port() + " " + "x".repeat(100_000));
  }
}
