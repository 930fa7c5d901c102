package dev.knetty.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.knetty.bench.testing.TestOrigin;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LoadGeneratorTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final LoadGenerator generator = new LoadGenerator(2);
  private TestOrigin origin;

  @AfterEach
  void tearDown() {
    if (origin != null) {
      origin.release();
      origin.close();
    }
    generator.close();
  }

  @Test
  void openLoopSendsTheScheduledCountAndExcludesWarmup() throws Exception {
    origin = TestOrigin.http1();
    LoadResult result =
        generator.run(
            LoadSpec.builder(origin.uri("/?x=1"))
                .openLoop(200)
                .duration(Duration.ofSeconds(1))
                .warmup(Duration.ofMillis(250))
                .connections(4)
                .build());
    assertThat(origin.received()).isCloseTo(250, within(1L));
    assertThat(result.requests()).isCloseTo(200, within(1L));
    assertThat(result.warmupRequests()).isCloseTo(50, within(1L));
    assertThat(result.successes()).isEqualTo(result.requests());
    assertThat(result.errors()).isEmpty();
    assertThat(result.latency().getTotalCount()).isEqualTo(result.successes());
    assertThat(result.intervals().stream().mapToLong(IntervalSample::requests).sum())
        .isEqualTo(result.requests());
    assertThat(result.rate()).isCloseTo(200, within(1.0));
  }

  @Test
  void closedLoopKeepsConcurrencyRequestsInFlight() throws Exception {
    origin = TestOrigin.http1();
    origin.hold();
    RunningLoad running =
        generator.start(
            LoadSpec.builder(origin.uri("/"))
                .closedLoop(4)
                .connections(4)
                .duration(Duration.ofSeconds(1))
                .build(),
            sample -> {});
    awaitHeld(running, 4);
    origin.release();
    LoadResult result = running.await();
    assertThat(origin.maxInFlight()).isEqualTo(4);
    assertThat(result.requests()).isGreaterThanOrEqualTo(4);
    assertThat(result.successes()).isEqualTo(result.requests());
    assertThat(origin.received()).isEqualTo(result.requests() + result.warmupRequests());
  }

  private void awaitHeld(RunningLoad running, int count) {
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(origin.held())
                    .as(
                        "held requests (received %d, connections %d, dispatched %d, done %s)",
                        origin.received(),
                        origin.connections(),
                        running.dispatched(),
                        running.result().getNow(null))
                    .isEqualTo(count));
  }

  @Test
  void openLoopOverH2c() throws Exception {
    origin = TestOrigin.h2c();
    LoadResult result =
        generator.run(
            LoadSpec.builder(origin.uri("/"))
                .protocol(LoadSpec.Protocol.H2C)
                .openLoop(200)
                .duration(Duration.ofMillis(500))
                .connections(2)
                .build());
    assertThat(origin.http2Requests()).isEqualTo(origin.received()).isCloseTo(100, within(1L));
    assertThat(origin.connections()).isBetween(1, 2);
    assertThat(result.successes()).isEqualTo(result.requests()).isCloseTo(100, within(1L));
  }

  @Test
  void closedLoopOverH2cRunsConcurrentStreamsOnOneConnection() throws Exception {
    origin = TestOrigin.h2c();
    origin.hold();
    RunningLoad running =
        generator.start(
            LoadSpec.builder(origin.uri("/"))
                .protocol(LoadSpec.Protocol.H2C)
                .closedLoop(8)
                .connections(1)
                .duration(Duration.ofSeconds(1))
                .build(),
            sample -> {});
    awaitHeld(running, 8);
    assertThat(origin.connections()).isEqualTo(1);
    origin.release();
    LoadResult result = running.await();
    assertThat(origin.maxInFlight()).isEqualTo(8);
    assertThat(result.successes()).isEqualTo(result.requests()).isGreaterThanOrEqualTo(8);
  }

  /**
   * The origin holds the first request while later ones come due and wait for the only connection.
   * Measured from their intended send times, every request due before the release took at least
   * {@code release - intended}; measured from when they were actually sent (coordinated omission),
   * the queued ones would look fast.
   */
  @Test
  void stalledRequestsCountFromTheirIntendedSendTime() throws Exception {
    origin = TestOrigin.http1();
    origin.hold();
    RunningLoad running =
        generator.start(
            LoadSpec.builder(origin.uri("/"))
                .openLoop(100)
                .duration(Duration.ofSeconds(1))
                .connections(1)
                .build(),
            sample -> {});
    await().atMost(TIMEOUT).until(() -> origin.held() == 1 && running.dispatched() >= 20);
    long releasedAt = System.nanoTime();
    origin.release();
    LoadResult result = running.await();

    assertThat(result.errors()).isEmpty();
    List<Long> stallMicros = new ArrayList<>();
    for (long i = 0; running.intendedNanos(i) < releasedAt; i++) {
      stallMicros.add((releasedAt - running.intendedNanos(i)) / 1000);
    }
    assertThat(stallMicros).hasSizeGreaterThanOrEqualTo(20);
    Histogram latency = result.latency();
    // The k-th longest stall needs k recorded latencies at least that long.
    for (int k = 0; k < stallMicros.size(); k++) {
      long stall = stallMicros.get(k);
      assertThat(latency.getCountBetweenValues(stall, latency.getMaxValue()))
          .as("latencies >= %d us", stall)
          .isGreaterThanOrEqualTo(k + 1L);
    }
  }

  /** 50 requests per second for 200 ms. */
  private LoadResult tenRequests(URI target, LoadSpec.Protocol protocol)
      throws InterruptedException {
    return generator.run(
        LoadSpec.builder(target)
            .protocol(protocol)
            .openLoop(50)
            .duration(Duration.ofMillis(200))
            .build());
  }

  @Test
  void countsRefusedConnections() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    LoadResult result =
        tenRequests(URI.create("http://127.0.0.1:" + closedPort + "/"), LoadSpec.Protocol.HTTP_1_1);
    assertThat(result.errors()).containsOnlyKeys("connect_refused");
    assertThat(result.errors().get("connect_refused")).isCloseTo(10, within(1L));
    assertThat(result.successes()).isZero();
    assertThat(result.latency().getTotalCount()).isZero();
  }

  @Test
  void countsStatusErrorsByCode() throws Exception {
    origin = TestOrigin.http1();
    origin.status(503);
    LoadResult result = tenRequests(origin.uri("/"), LoadSpec.Protocol.HTTP_1_1);
    assertThat(result.errors()).isEqualTo(Map.of("status_503", result.requests()));
    assertThat(result.requests()).isCloseTo(10, within(1L));
    assertThat(result.successes()).isZero();
  }

  @Test
  void countsTimeouts() throws Exception {
    origin = TestOrigin.http1();
    origin.hold();
    LoadResult result =
        generator.run(
            LoadSpec.builder(origin.uri("/"))
                .openLoop(20)
                .duration(Duration.ofMillis(250))
                .connections(10)
                .requestTimeout(Duration.ofMillis(200))
                .build());
    assertThat(result.errors()).isEqualTo(Map.of("timeout", 5L));
  }

  @Test
  void countsResets() throws Exception {
    origin = TestOrigin.http1();
    origin.closeOnRequest();
    LoadResult result = tenRequests(origin.uri("/"), LoadSpec.Protocol.HTTP_1_1);
    assertThat(result.errors()).isEqualTo(Map.of("reset", 10L));
  }

  @Test
  void resetsOverH2cAreCountedToo() throws Exception {
    origin = TestOrigin.h2c();
    origin.closeOnRequest();
    LoadResult result = tenRequests(origin.uri("/"), LoadSpec.Protocol.H2C);
    assertThat(result.errors()).isEqualTo(Map.of("reset", 10L));
  }

  @Test
  void countsOtherErrors() throws Exception {
    origin = TestOrigin.http1();
    origin.garbage();
    LoadResult result = tenRequests(origin.uri("/"), LoadSpec.Protocol.HTTP_1_1);
    assertThat(result.errors()).isEqualTo(Map.of("other", 10L));
  }

  @Test
  void closedLoopStopsAtMaxRequests() throws Exception {
    origin = TestOrigin.http1();
    LoadResult result =
        generator.run(
            LoadSpec.builder(origin.uri("/"))
                .closedLoop(2)
                .connections(2)
                .duration(Duration.ofMinutes(10))
                .maxRequests(20)
                .build());
    assertThat(result.requests()).isEqualTo(20);
    assertThat(origin.received()).isEqualTo(20);
  }

  /** One held connection, two places in the queue: the rest fail at once. */
  @Test
  void aFullQueueFailsRequestsAtOnce() throws Exception {
    origin = TestOrigin.http1();
    origin.hold();
    RunningLoad running =
        generator.start(
            LoadSpec.builder(origin.uri("/"))
                .openLoop(100)
                .duration(Duration.ofMillis(200))
                .connections(1)
                .maxQueued(2)
                .build(),
            sample -> {});
    await().atMost(TIMEOUT).until(() -> running.dispatched() == 20);
    origin.release();
    LoadResult result = running.await();
    // At any time one request is on the connection and two wait: nothing completes before release.
    assertThat(result.successes()).isEqualTo(3);
    assertThat(result.errors()).isEqualTo(Map.of("queue_full", 17L));
  }

  @Test
  void refusesTargetsThatAreNotLoopback() {
    for (String target : new String[] {"http://192.0.2.1:8080/", "http://10.1.2.3/"}) {
      LoadSpec spec = LoadSpec.builder(URI.create(target)).build();
      assertThatThrownBy(() -> generator.start(spec, sample -> {}))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("target: " + target)
          .hasMessageContaining("expected: a loopback address")
          .hasMessageContaining("never load-tests other hosts");
    }
    assertThat(LoadGenerator.loopback(URI.create("http://localhost:8080/")).getAddress())
        .matches(a -> a.isLoopbackAddress());
    assertThat(LoadGenerator.loopback(URI.create("http://[::1]:8080/")).getPort()).isEqualTo(8080);
  }

  @Test
  void specsAreValidatedAgainstTheHardCaps() {
    URI target = URI.create("http://127.0.0.1:1/");
    assertInvalid(
        LoadSpec.builder(target).duration(Duration.ofHours(2)), "duration: 2h (expected: 1ms-1h)");
    assertInvalid(LoadSpec.builder(target).openLoop(0), "rate: 0.0 (expected: > 0");
    assertInvalid(LoadSpec.builder(target).connections(0), "connections: 0 (expected: 1-10000)");
    assertInvalid(
        LoadSpec.builder(target).openLoop(1000).duration(Duration.ofSeconds(10)).maxRequests(5000),
        "rate x (warmup + duration): 10000 requests (expected: <= maxRequests 5000)");
    assertInvalid(
        LoadSpec.builder(URI.create("https://127.0.0.1/")),
        "target: https://127.0.0.1/ (expected: an http:// URL)");
  }

  private static void assertInvalid(LoadSpec.Builder builder, String message) {
    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
  }
}
