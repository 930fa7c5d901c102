package dev.knetty.queueproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.net.Transport;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The readiness probes the queue-proxy runs against the app (Knative's readiness package). */
class ReadinessProberTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private final Transport transport = Transport.fromEnvironment();
  private final EventLoopGroup group = transport.newEventLoopGroup(1, "test-prober");
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private TestApp app() {
    TestApp app = TestApp.start(transport);
    closeables.add(app);
    return app;
  }

  private ReadinessProber prober(Duration pollTimeout, ReadinessProbe... probes) {
    return new ReadinessProber(List.of(probes), group.next(), transport, pollTimeout);
  }

  /** One attempt of up to 5 s (periodSeconds > 0): deterministic on a busy machine. */
  private static ReadinessProbe once(ReadinessProbe.Action action) {
    return new ReadinessProbe(action, 1, 5, 1);
  }

  private static ReadinessProbe http(int port, String path, ReadinessProbe.Header... headers) {
    return once(new ReadinessProbe.HttpGet(false, "127.0.0.1", port, path, List.of(headers)));
  }

  private static boolean probe(ReadinessProber prober) throws Exception {
    return prober.probe().get(30, TimeUnit.SECONDS);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void httpStatusesFrom200To399AreReady() throws Exception {
    TestApp app = app();
    Duration short_ = Duration.ofMillis(200);
    assertThat(probe(prober(short_, http(app.port(), "/status/200")))).isTrue();
    assertThat(probe(prober(short_, http(app.port(), "/status/204")))).isTrue();
    // A 3xx without Location is not a redirect: judged as it is.
    assertThat(probe(prober(short_, http(app.port(), "/status/302")))).isTrue();
    assertThat(probe(prober(short_, http(app.port(), "/status/399")))).isTrue();
    assertThat(probe(prober(short_, http(app.port(), "/status/400")))).isFalse();
    assertThat(probe(prober(short_, http(app.port(), "/status/404")))).isFalse();
    assertThat(probe(prober(short_, http(app.port(), "/status/503")))).isFalse();
  }

  @Test
  void httpProbesSendKnativesUserAgentTheirHeadersAndNoKeepAlive() throws Exception {
    TestApp app = app();
    ReadinessProber prober =
        prober(
            WAIT,
            http(
                app.port(),
                "probe-path", // no leading slash: the same as /probe-path
                new ReadinessProbe.Header("X-Custom", "yes"),
                new ReadinessProbe.Header("Host", "ignored.example"),
                new ReadinessProbe.Header("User-Agent", "ignored")));

    assertThat(probe(prober)).isTrue();

    TestApp.Seen seen = app.requests.poll(30, TimeUnit.SECONDS);
    assertThat(seen.method()).isEqualTo("GET");
    assertThat(seen.uri()).isEqualTo("/probe-path");
    assertThat(seen.headers().getAll("User-Agent")).containsExactly("kube-probe//");
    assertThat(seen.headers().get("X-Custom")).isEqualTo("yes");
    assertThat(seen.headers().get("Host")).isEqualTo("127.0.0.1:" + app.port());
    assertThat(seen.headers().get("Connection")).isEqualTo("close");
  }

  @Test
  void httpsProbesDoNotVerifyTheCertificate() throws Exception {
    TestApp app = TestApp.startTls(transport);
    closeables.add(app);
    ReadinessProbe https =
        once(new ReadinessProbe.HttpGet(true, "127.0.0.1", app.port(), "/tls", List.of()));

    assertThat(probe(prober(WAIT, https))).isTrue();
    assertThat(app.requests.poll(30, TimeUnit.SECONDS).uri()).isEqualTo("/tls");
    // The same port in plain HTTP is no answer.
    assertThat(probe(prober(WAIT, http(app.port(), "/tls")))).isFalse();
  }

  @Test
  void redirectsAreFollowedUpToTen() throws Exception {
    TestApp app = app();
    Duration short_ = Duration.ofMillis(300);

    assertThat(probe(prober(short_, http(app.port(), "/redirect/10")))).isTrue();
    assertThat(app.requests).extracting(TestApp.Seen::uri).contains("/redirect/0");
    assertThat(probe(prober(short_, http(app.port(), "/redirect/11")))).isFalse();
    assertThat(probe(prober(short_, http(app.port(), "/loop")))).isFalse();
  }

  @Test
  void tcpProbesAreReadyIffTheAppListens() throws Exception {
    TestApp app = app();
    assertThat(probe(prober(WAIT, ReadinessProbe.tcp(app.port())))).isTrue();
    assertThat(probe(prober(Duration.ofMillis(200), ReadinessProbe.tcp(freePort())))).isFalse();
  }

  @Test
  void anAggressiveProbeKeepsTryingUntilTheAppListens() throws Exception {
    int port = freePort();
    ReadinessProber prober = prober(WAIT, ReadinessProbe.tcp(port));

    CompletableFuture<Boolean> ready = prober.probe();
    await().atMost(WAIT).until(() -> prober.attempts() >= 3);
    assertThat(ready).isNotDone();
    closeables.add(TestApp.start(transport, port));

    assertThat(ready.get(30, TimeUnit.SECONDS)).isTrue();
    assertThat(prober.attempts()).isGreaterThan(3);
  }

  @Test
  void theSuccessThresholdCountsConsecutiveSuccessesAcrossProbes() throws Exception {
    TestApp app = app();
    ReadinessProber prober =
        prober(
            WAIT,
            new ReadinessProbe(new ReadinessProbe.TcpSocket("127.0.0.1", app.port()), 0, 0, 3));

    assertThat(probe(prober)).isTrue();
    assertThat(prober.attempts()).isEqualTo(3);
    // Knative keeps the count: one more success is enough now.
    assertThat(probe(prober)).isTrue();
    assertThat(prober.attempts()).isEqualTo(4);
  }

  @Test
  void aProbeWithAPeriodMakesOneAttempt() throws Exception {
    ReadinessProber prober =
        prober(
            WAIT,
            new ReadinessProbe(new ReadinessProbe.TcpSocket("127.0.0.1", freePort()), 10, 1, 1));

    assertThat(probe(prober)).isFalse();
    assertThat(prober.attempts()).isEqualTo(1);
  }

  @Test
  void concurrentCallsShareOneProbe() throws Exception {
    ReadinessProber prober = prober(Duration.ofMillis(500), ReadinessProbe.tcp(freePort()));

    CompletableFuture<Boolean> first = prober.probe();
    CompletableFuture<Boolean> second = prober.probe();

    assertThat(second).isSameAs(first);
    assertThat(first.get(30, TimeUnit.SECONDS)).isFalse();
    // Nothing is cached: the next call probes again.
    assertThat(prober.probe()).isNotSameAs(first);
  }

  @Test
  void allProbesMustPass() throws Exception {
    TestApp app = app();
    assertThat(
            probe(
                prober(
                    Duration.ofMillis(200),
                    ReadinessProbe.tcp(app.port()),
                    ReadinessProbe.tcp(freePort()))))
        .isFalse();
    assertThat(probe(prober(WAIT, ReadinessProbe.tcp(app.port()), http(app.port(), "/")))).isTrue();
  }

  @Test
  void grpcHealthChecksAreReadyIffServing() throws Exception {
    GrpcHealthServer serving = new GrpcHealthServer(transport, 1, 0);
    GrpcHealthServer notServing = new GrpcHealthServer(transport, 2, 0);
    GrpcHealthServer unimplemented = new GrpcHealthServer(transport, 0, 12);
    closeables.add(serving);
    closeables.add(notServing);
    closeables.add(unimplemented);
    Duration short_ = Duration.ofMillis(300);

    assertThat(probe(prober(short_, grpc(serving.port(), "my.Service")))).isTrue();
    assertThat(serving.services).containsExactly("my.Service");
    assertThat(probe(prober(short_, grpc(notServing.port(), "")))).isFalse();
    assertThat(notServing.services).contains("");
    assertThat(probe(prober(short_, grpc(unimplemented.port(), "")))).isFalse();
    assertThat(probe(prober(short_, grpc(freePort(), "")))).isFalse();
  }

  private static ReadinessProbe grpc(int port, String service) {
    return once(new ReadinessProbe.Grpc("127.0.0.1", port, service));
  }
}
