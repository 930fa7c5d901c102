package dev.knetty.queueproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.kmp.KmpServer;
import dev.knetty.common.kmp.KmpServerConfig;
import dev.knetty.common.kmp.Stat;
import io.netty.channel.EventLoopGroup;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The per-second stats: time-weighted concurrency and request rates exactly as Knative's {@code
 * RequestStats} computes them, pushed over KMP and served as Knative's protobuf. The clock of the
 * stats is the test's: requests arrive and end at chosen times, so the expected values are exact.
 */
class QueueProxyStatsTest extends QueueProxyTestSupport {

  private static final long MS = 1_000_000L;

  private final AtomicLong now = new AtomicLong();
  private final BlockingQueue<Stat> pushed = new LinkedBlockingQueue<>();

  private KmpServer startAutoscaler() {
    EventLoopGroup group = transport.newEventLoopGroup(1, "test-autoscaler");
    closeLater(() -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
    KmpServer server =
        KmpServer.start(
            KmpServerConfig.builder("autoscaler-0", "127.0.0.1").host("127.0.0.1").port(0).build(),
            transport,
            group,
            group,
            (peer, batch) -> pushed.addAll(batch.stats()));
    return closeLater(server);
  }

  private void start(int containerConcurrency, KmpServer autoscaler) {
    startApp();
    startQueueProxy(
        config()
            .containerConcurrency(containerConcurrency)
            .autoscaler("127.0.0.1:" + autoscaler.localAddress().getPort())
            .build(),
        b -> b.clock(now::get).reportingInterval(Duration.ZERO));
    // A report made before the handshake would be replaced by the next one (latest wins).
    await()
        .atMost(WAIT)
        .until(() -> qp.meterRegistry().get("queueproxy.kmp.connected").gauge().value() == 1);
  }

  @Test
  void timeWeightedConcurrencyAndRatesAsKnativeReportsThem() throws Exception {
    KmpServer autoscaler = startAutoscaler();
    start(0, autoscaler);
    // Before the first report the stats port serves the pod name only.
    StatDecoder first = scrape();
    assertThat(first.podName()).isEqualTo("hello-00001-deployment-abc");
    assertThat(first.averageConcurrency()).isZero();
    assertThat(first.processUptime()).isZero();

    now.set(100 * MS);
    CompletableFuture<HttpResponse<String>> a = getAsync("/hold/a");
    await().atMost(WAIT).until(() -> app.heldCount() == 1);
    now.set(300 * MS);
    CompletableFuture<HttpResponse<String>> b = getAsync("/hold/b", "K-Proxy-Request", "activator");
    await().atMost(WAIT).until(() -> app.heldCount() == 2);
    // A probe in the middle counts for nothing.
    assertThat(get("/", "User-Agent", "kube-probe/1.30", "K-Network-Probe", "queue").body())
        .isEqualTo("queue");
    now.set(600 * MS);
    app.releaseOne(); // a
    assertThat(a.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    awaitCompleted(1);
    now.set(800 * MS);
    app.releaseOne(); // b
    assertThat(b.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    awaitCompleted(2);
    now.set(1000 * MS);

    qp.reportNow();

    // Concurrency 0 on [0, .1], 1 on [.1, .3], 2 on [.3, .6], 1 on [.6, .8], 0 on [.8, 1]:
    // 1.0 request-seconds over 1 s. Proxied: b alone on [.3, .8], 0.5.
    Stat stat = pushed.poll(30, TimeUnit.SECONDS);
    assertThat(stat).isNotNull();
    assertThat(stat.revision()).isEqualTo(new RevisionKey("default", "hello-00001"));
    assertThat(stat.podName()).isEqualTo("hello-00001-deployment-abc");
    assertThat(stat.averageConcurrency()).isCloseTo(1.0, withinPercentage(1));
    assertThat(stat.averageProxiedConcurrency()).isCloseTo(0.5, withinPercentage(1));
    assertThat(stat.requestCount()).isCloseTo(2.0, withinPercentage(1));
    assertThat(stat.proxiedRequestCount()).isCloseTo(1.0, withinPercentage(1));
    assertThat(stat.processUptimeSeconds()).isCloseTo(1.0, withinPercentage(1));

    StatDecoder scraped = scrape();
    assertThat(scraped.podName()).isEqualTo("hello-00001-deployment-abc");
    assertThat(scraped.averageConcurrency()).isCloseTo(1.0, withinPercentage(1));
    assertThat(scraped.averageProxiedConcurrency()).isCloseTo(0.5, withinPercentage(1));
    assertThat(scraped.requestCount()).isCloseTo(2.0, withinPercentage(1));
    assertThat(scraped.proxiedRequestCount()).isCloseTo(1.0, withinPercentage(1));
    assertThat(scraped.processUptime()).isCloseTo(1.0, withinPercentage(1));
    assertThat(scraped.timestamp()).isZero();

    // An idle second is still reported, with zeros: the autoscaler counts on a stat per second.
    now.set(2000 * MS);
    qp.reportNow();
    Stat idle = pushed.poll(30, TimeUnit.SECONDS);
    assertThat(idle).isNotNull();
    assertThat(idle.averageConcurrency()).isZero();
    assertThat(idle.requestCount()).isZero();
    assertThat(idle.processUptimeSeconds()).isCloseTo(2.0, within(1e-9));
    assertThat(scrape().requestCount()).isZero();
  }

  @Test
  void requestsWaitingInTheBreakerCountAsConcurrency() throws Exception {
    KmpServer autoscaler = startAutoscaler();
    start(1, autoscaler);
    CompletableFuture<HttpResponse<String>> a = getAsync("/hold/a");
    await().atMost(WAIT).until(() -> app.heldCount() == 1);
    CompletableFuture<HttpResponse<String>> b = getAsync("/hold/b");
    await().atMost(WAIT).until(() -> qp.policy().breaker().waiting() == 1);
    now.set(1000 * MS);

    qp.reportNow();

    // Both were in for the whole second, one of them waiting.
    Stat stat = pushed.poll(30, TimeUnit.SECONDS);
    assertThat(stat.averageConcurrency()).isCloseTo(2.0, withinPercentage(1));
    assertThat(stat.requestCount()).isCloseTo(2.0, withinPercentage(1));
    await()
        .atMost(WAIT)
        .until(
            () -> {
              app.releaseAll();
              return a.isDone() && b.isDone();
            });
    assertThat(b.get().statusCode()).isEqualTo(200);
  }

  @Test
  void theTickerReportsEverySecondOnItsOwn() throws Exception {
    KmpServer autoscaler = startAutoscaler();
    startApp();
    startQueueProxy(
        config().autoscaler("127.0.0.1:" + autoscaler.localAddress().getPort()).build());

    assertThat(get("/").statusCode()).isEqualTo(200);

    Stat withRequest = null;
    for (int i = 0; i < 5 && withRequest == null; i++) {
      Stat s = pushed.poll(30, TimeUnit.SECONDS);
      assertThat(s).isNotNull();
      if (s.requestCount() > 0) {
        withRequest = s;
      }
    }
    assertThat(withRequest).isNotNull();
    assertThat(withRequest.requestCount()).isEqualTo(1.0);
    assertThat(pushed.poll(30, TimeUnit.SECONDS)).isNotNull(); // and on, zeros included
  }

  private void awaitCompleted(int n) {
    awaitCount(n, "queueproxy.requests", "code_class", "2xx");
  }

  private StatDecoder scrape() throws Exception {
    HttpResponse<byte[]> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + qp.statsPort() + "/metrics"))
                .header("Accept", "text/plain")
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/protobuf");
    assertThat(r.body().length).isLessThanOrEqualTo(KnativeStatProto.MAX_SCRAPE_BYTES);
    return StatDecoder.decode(r.body());
  }
}
