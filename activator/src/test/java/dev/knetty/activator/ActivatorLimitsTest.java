package dev.knetty.activator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.RevisionSettings;
import dev.knetty.common.testing.H2cClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The bounds Knative lacks: waiting requests and bytes per revision and overall, wait time. */
class ActivatorLimitsTest extends ActivatorTestSupport {

  private static final RevisionKey WORLD = RevisionKey.parse("default/world");

  private double gauge(String name, RevisionKey key) {
    return activator
        .meterRegistry()
        .get(name)
        .tag("namespace", key.namespace())
        .tag("revision", key.name())
        .gauge()
        .value();
  }

  private double counter(String name, String tag, String value) {
    return activator.meterRegistry().get(name).tag(tag, value).counter().count();
  }

  @Test
  void aFullRevisionAnswers503AtOnceWithRetryAfter() {
    start(config().maxWaitingPerRevision(3).retryAfter(Duration.ofSeconds(7)));
    revision(HELLO, 1);
    List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      waiting.add(waitingGet(HELLO));
    }

    HttpResponse<String> rejected = join(get(HELLO, "/"));

    assertThat(rejected.statusCode()).isEqualTo(503);
    assertThat(rejected.headers().firstValue("Retry-After")).hasValue("7");
    assertThat(rejected.body())
        .isEqualTo(
            "activator: 3 requests already wait for revision default/hello"
                + " (max-waiting-per-revision)\n");
    assertThat(waiting).noneMatch(CompletableFuture::isDone);
    assertThat(gauge("knetty.activator.revision.buffered.requests", HELLO)).isEqualTo(3);
    assertThat(counter("knetty.activator.rejected", "reason", "revision_requests")).isEqualTo(1);

    FakePod pod = pod();
    endpoints(HELLO, pod);
    for (CompletableFuture<HttpResponse<String>> f : waiting) {
      assertThat(join(f).statusCode()).isEqualTo(200);
    }
    assertThat(gauge("knetty.activator.revision.buffered.requests", HELLO)).isZero();
    assertThat(gauge("knetty.activator.revision.buffered.bytes", HELLO)).isZero();
  }

  @Test
  void theActivatorWideLimitCoversAllRevisions() {
    start(config().maxWaiting(2));
    revision(HELLO, 1);
    revision(WORLD, 1);
    CompletableFuture<HttpResponse<String>> a = waitingGet(HELLO);
    CompletableFuture<HttpResponse<String>> b = waitingGet(WORLD);

    HttpResponse<String> rejected = join(get(WORLD, "/"));

    assertThat(rejected.statusCode()).isEqualTo(503);
    assertThat(rejected.body()).contains("2 requests already wait in this activator");
    assertThat(activator.meterRegistry().get("knetty.activator.buffered.requests").gauge().value())
        .isEqualTo(2);
    assertThat(a).isNotDone();
    assertThat(b).isNotDone();
  }

  @Test
  void bodyBytesOfWaitingRequestsAreBounded() {
    start(config().preReadLimitBytes(100).maxBufferedBytesPerRevision(250));
    revision(HELLO, 1);
    // A large body reserves the pre-read limit, a small one its length.
    CompletableFuture<HttpResponse<String>> big1 = post(HELLO, "a".repeat(5000));
    await().atMost(WAIT).until(() -> activator.revision(HELLO).waiting() == 1);
    CompletableFuture<HttpResponse<String>> big2 = post(HELLO, "b".repeat(5000));
    await().atMost(WAIT).until(() -> activator.revision(HELLO).waiting() == 2);
    assertThat(gauge("knetty.activator.revision.buffered.bytes", HELLO)).isEqualTo(200);

    HttpResponse<String> rejected = join(post(HELLO, "c".repeat(5000)));
    assertThat(rejected.statusCode()).isEqualTo(503);
    assertThat(rejected.body())
        .contains("revision default/hello hold the most request bytes allowed, 250");
    assertThat(counter("knetty.activator.rejected", "reason", "revision_bytes")).isEqualTo(1);

    CompletableFuture<HttpResponse<String>> small = post(HELLO, "d".repeat(50));
    await().atMost(WAIT).until(() -> activator.revision(HELLO).waiting() == 3);
    assertThat(gauge("knetty.activator.revision.buffered.bytes", HELLO)).isEqualTo(250);

    FakePod pod = pod();
    endpoints(HELLO, pod);
    assertThat(join(big1).body()).endsWith("a".repeat(5000));
    assertThat(join(big2).body()).endsWith("b".repeat(5000));
    assertThat(join(small).body()).endsWith("d".repeat(50));
  }

  private CompletableFuture<HttpResponse<String>> post(RevisionKey key, String body) {
    return send(
        key,
        HttpRequest.newBuilder(uri("/")).POST(HttpRequest.BodyPublishers.ofString(body)),
        b -> {});
  }

  @Test
  void waitingLongerThanMaxWaitAnswers504() {
    start(config().maxWait(Duration.ofMillis(200)));
    revision(HELLO, 1);

    HttpResponse<String> r = join(get(HELLO, "/"));

    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(r.body())
        .isEqualTo("activator: revision default/hello had no capacity within 200ms");
    // Counted when the exchange completes, which may be just after the client has the response.
    await().atMost(WAIT).until(() -> counter("knetty.activator.timeouts", "phase", "waiting") == 1);
    assertThat(activator.revision(HELLO).waiting()).isZero();
  }

  @Test
  void withoutMaxWaitTheRevisionTimeoutEndsTheWait() {
    start(config());
    revision(HELLO, new RevisionSettings(1, 1, 0, 0, 8080));

    HttpResponse<String> r = join(get(HELLO, "/"));

    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(r.body()).isEqualTo("activator request timeout");
  }

  @Test
  void aClientThatLeavesFreesItsPlace() throws Exception {
    start(config().maxWaitingPerRevision(1));
    revision(HELLO, 1);
    try (Socket s = new Socket("127.0.0.1", activator.port())) {
      OutputStream out = s.getOutputStream();
      out.write(
          "GET / HTTP/1.1\r\nHost: hello.default\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      await().atMost(WAIT).until(() -> activator.revision(HELLO).waiting() == 1);
    }
    await().atMost(WAIT).until(() -> activator.revision(HELLO).waiting() == 0);
    assertThat(activator.meterRegistry().get("knetty.activator.buffered.requests").gauge().value())
        .isZero();

    CompletableFuture<HttpResponse<String>> next = waitingGet(HELLO);
    FakePod pod = pod();
    endpoints(HELLO, pod);
    assertThat(join(next).statusCode()).isEqualTo(200);
  }

  /**
   * Thousands of waiting requests: the gauges stay within the limits, the one over the limit is
   * refused at once (while the others still wait), and all complete once there is a pod.
   */
  @Test
  void fiveThousandWaitingRequestsStayWithinTheLimits() {
    int limit = 5_000;
    long byteLimit = 32L << 20;
    start(config().maxWaitingPerRevision(limit).maxBufferedBytesPerRevision(byteLimit));
    revision(HELLO, 0);
    List<H2cClient> clients = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      clients.add(h2c());
    }
    List<CompletableFuture<H2cClient.Response>> waiting = new ArrayList<>();
    for (int i = 0; i < limit; i++) {
      waiting.add(clients.get(i % clients.size()).get("hello.default", "/" + i));
    }
    await().atMost(Duration.ofMinutes(2)).until(() -> activator.revision(HELLO).waiting() == limit);

    H2cClient.Response rejected =
        clients.get(0).get("hello.default", "/over").orTimeout(60, TimeUnit.SECONDS).join();

    assertThat(rejected.status()).isEqualTo(503);
    assertThat(rejected.headers().get("retry-after")).isEqualTo("1");
    assertThat(waiting).noneMatch(CompletableFuture::isDone);
    MeterRegistry registry = activator.meterRegistry();
    assertThat(gauge("knetty.activator.revision.buffered.requests", HELLO)).isEqualTo(limit);
    assertThat(gauge("knetty.activator.revision.buffered.bytes", HELLO))
        .isLessThanOrEqualTo(byteLimit);
    assertThat(registry.get("knetty.activator.buffered.requests").gauge().value()).isEqualTo(limit);
    assertThat(activator.revision(HELLO).throttler.waiting()).isEqualTo(limit);

    FakePod pod = pod();
    endpoints(HELLO, pod);
    for (CompletableFuture<H2cClient.Response> f : waiting) {
      H2cClient.Response r = f.orTimeout(120, TimeUnit.SECONDS).join();
      assertThat(r.status()).as(r.body()).isEqualTo(200);
    }
    assertThat(gauge("knetty.activator.revision.buffered.requests", HELLO)).isZero();
    assertThat(gauge("knetty.activator.revision.buffered.bytes", HELLO)).isZero();
  }

  @Test
  void aRemovedRevisionsWaitingRequestsGet404AndItsGaugesGo() {
    start(config());
    revision(HELLO, 1);
    CompletableFuture<HttpResponse<String>> f = waitingGet(HELLO);

    source.removeRevision(HELLO);

    HttpResponse<String> r = join(f);
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body()).isEqualTo("revision \"default/hello\" was removed\n");
    await()
        .atMost(WAIT)
        .until(
            () ->
                activator
                    .meterRegistry()
                    .find("knetty.activator.revision.buffered.requests")
                    .gauges()
                    .isEmpty());
  }
}
