package dev.knetty.common.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.testing.RawHttp;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** Knative's three timeouts (pkg/http/handler/timeout.go), counted from arrival. */
class ProxyTimeoutTest extends ProxyTestSupport {

  private static final Duration SHORT = Duration.ofMillis(300);
  private static final Duration LONG = Duration.ofSeconds(60);

  private RecordingPolicy policyWith(UpstreamTarget target, ExchangeTimeouts timeouts) {
    RecordingPolicy policy = new RecordingPolicy(target);
    policy.onRequest =
        ex -> {
          ex.timeouts(timeouts);
          ex.forward(target);
        };
    return policy;
  }

  private void expect504(String body) throws Exception {
    HttpResponse<String> response =
        http1.send(HttpRequest.newBuilder(uri("/")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(504);
    assertThat(response.body()).isEqualTo(body);
  }

  @Test
  void theTotalTimeoutAnswers504AndCancelsTheUpstream() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> null));
    RecordingPolicy policy =
        policyWith(
            origin.target(),
            new ExchangeTimeouts(SHORT, Duration.ZERO, Duration.ZERO, "activator request timeout"));
    startProxy(policy);

    expect504("activator request timeout");
    await().atMost(WAIT).until(() -> origin.closed.get() == 1);
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.TIMEOUT);
    assertThat(policy.outcomes.get(0).status()).isEqualTo(504);
    assertThat(proxy.upstreamConnections()).isZero();
  }

  @Test
  void timeWaitingForThePolicyCountsAndCancelsItsWait() throws Exception {
    AtomicBoolean cancelled = new AtomicBoolean();
    RecordingPolicy policy = new RecordingPolicy(null);
    policy.onRequest = ex -> ex.onCancel(() -> cancelled.set(true));
    startProxy(
        policy,
        b ->
            b.defaultTimeouts(
                new ExchangeTimeouts(SHORT, Duration.ZERO, Duration.ZERO, "request timeout")));

    expect504("request timeout");
    await().atMost(WAIT).untilTrue(cancelled);
    ProxyExchange ex = policy.exchanges.take();
    assertThat(ex.eventLoop().submit(() -> ex.forward(UpstreamTarget.of("127.0.0.1", 1))).get())
        .isFalse();
  }

  @Test
  void theTotalTimeoutEndsAStreamedResponseWithTheMessage() throws Exception {
    StallingOrigin stalling = StallingOrigin.chunkedForever();
    TestOrigin origin = origin(TestOrigin.http1(originGroup, () -> stalling));
    RecordingPolicy policy =
        policyWith(
            origin.target(),
            new ExchangeTimeouts(SHORT, Duration.ZERO, Duration.ZERO, "request timeout"));
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      RawHttp.Response response = client.get("/", "");
      assertThat(response.status()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("firstrequest timeout");
    }
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.TIMEOUT);
    assertThat(policy.outcomes.get(0).responseStarted()).isTrue();
    await().atMost(WAIT).until(() -> origin.closed.get() == 1);
  }

  @Test
  void theTotalTimeoutCutsAResponseOfKnownLength() throws Exception {
    TestOrigin origin =
        origin(TestOrigin.http1(originGroup, () -> new StallingOrigin(100, List.of(), 0, false)));
    RecordingPolicy policy =
        policyWith(
            origin.target(),
            new ExchangeTimeouts(SHORT, Duration.ZERO, Duration.ZERO, "request timeout"));
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      RawHttp.Response response = client.get("/", "");
      assertThat(response.body()).isEqualTo("first");
      assertThat(client.closedByPeer()).isTrue();
    }
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.TIMEOUT);
  }

  @Test
  void theResponseStartTimeoutAnswers504() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> null));
    RecordingPolicy policy =
        policyWith(
            origin.target(), new ExchangeTimeouts(LONG, SHORT, Duration.ZERO, "request timeout"));
    startProxy(policy);

    expect504("request timeout");
  }

  @Test
  void theResponseStartTimeoutIsIgnoredOnceTheResponseStarted() throws Exception {
    StallingOrigin stalling = StallingOrigin.chunkedForever();
    TestOrigin origin = origin(TestOrigin.http1(originGroup, () -> stalling));
    Duration responseStart = Duration.ofMillis(200);
    RecordingPolicy policy =
        policyWith(origin.target(), new ExchangeTimeouts(LONG, responseStart, Duration.ZERO, "t"));
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      client.write("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
      RawHttp.Response head = client.readHead();
      assertThat(head.status()).isEqualTo(200);
      ProxyExchange ex = policy.exchanges.take();
      // Finish only after the response-start deadline passed on the exchange's own loop (its
      // tasks run in deadline order), so a timer that was not disarmed would have fired first.
      long late =
          responseStart.toNanos() * 2 - (ex.eventLoop().ticker().nanoTime() - ex.arrivalNanos());
      ex.eventLoop()
          .schedule(() -> stalling.finish("-rest"), Math.max(late, 1), TimeUnit.NANOSECONDS);
      CRC32 ignored = new CRC32();
      assertThat(client.readChunked(ignored)).isEqualTo("first-rest".length());
    }
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.PROXIED);
  }

  @Test
  void theIdleTimeoutCountsFromArrivalBeforeTheFirstWrite() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, req -> null));
    RecordingPolicy policy =
        policyWith(origin.target(), new ExchangeTimeouts(LONG, Duration.ZERO, SHORT, "idle"));
    startProxy(policy);

    expect504("idle");
  }

  @Test
  void theIdleTimeoutEndsAStalledStream() throws Exception {
    TestOrigin origin = origin(TestOrigin.http1(originGroup, StallingOrigin::chunkedForever));
    RecordingPolicy policy =
        policyWith(origin.target(), new ExchangeTimeouts(LONG, Duration.ZERO, SHORT, "idle"));
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      assertThat(client.get("/", "").body()).isEqualTo("firstidle");
    }
  }

  @Test
  void theIdleTimeoutIsReArmedByEveryWrite() throws Exception {
    // Five chunks 300 ms apart: 1.5 s in all, more than the 1.2 s idle timeout, never idle that
    // long.
    TestOrigin origin =
        origin(
            TestOrigin.http1(
                originGroup,
                () -> new StallingOrigin(null, List.of("a", "b", "c", "d", "e"), 300, false)));
    RecordingPolicy policy =
        policyWith(
            origin.target(),
            new ExchangeTimeouts(LONG, Duration.ZERO, Duration.ofMillis(1200), "idle"));
    startProxy(policy);

    try (RawHttp client = new RawHttp(proxyPort)) {
      assertThat(client.get("/", "").body()).isEqualTo("firstabcde");
    }
    await().atMost(WAIT).until(() -> policy.outcomes.size() == 1);
    assertThat(policy.outcomes.get(0).kind()).isEqualTo(ExchangeOutcome.Kind.PROXIED);
  }
}
