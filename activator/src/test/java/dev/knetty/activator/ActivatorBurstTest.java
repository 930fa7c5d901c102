package dev.knetty.activator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.common.net.Transport;
import io.netty.channel.EventLoopGroup;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A burst released to one pod ({@code bin/knetty bench buffer} in small): thousands of requests
 * wait for a revision with containerConcurrency 0 and no pods, then one pod appears. Opening a
 * connection per request at once overflows the pod's listen backlog; the dropped SYNs time out and
 * requests fail with 502. Every request must succeed.
 */
class ActivatorBurstTest extends ActivatorTestSupport {

  private static final int REQUESTS = 2_000;
  // Far below the burst, as the backlog of many apps is.
  private static final int POD_BACKLOG = 32;
  // The activator's two event loops with 8 connects in flight each fit that backlog.
  private static final int CONNECTS_PER_POD = 8;
  // Below the first SYN retransmission (1 s): a connect whose SYN was dropped because the backlog
  // was full times out, so a flood of connects shows as 502s instead of as a delay (with all
  // connects at once, 148 of the 2,000 requests failed in one run here).
  private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(800);

  @Test
  void aBurstReleasedToOnePodOfARevisionWithoutConcurrencyLimitAllSucceeds() {
    EventLoopGroup acceptor = Transport.fromEnvironment().newEventLoopGroup(1, "test-acceptor");
    closeables.add(() -> acceptor.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync());
    start(config().connectTimeout(CONNECT_TIMEOUT).maxConnectsPerPod(CONNECTS_PER_POD));
    revision(HELLO, 0);
    List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    for (int i = 0; i < REQUESTS; i++) {
      responses.add(get(HELLO, "/"));
    }
    await().atMost(WAIT).until(() -> activator.revision(HELLO).waiting() == REQUESTS);

    FakePod pod = new FakePod(acceptor, group, POD_BACKLOG);
    closeables.add(pod);
    endpoints(HELLO, pod);

    Map<Integer, Integer> statuses = new TreeMap<>();
    for (CompletableFuture<HttpResponse<String>> f : responses) {
      statuses.merge(join(f).statusCode(), 1, Integer::sum);
    }
    assertThat(statuses).isEqualTo(Map.of(200, REQUESTS));
    assertThat(pod.requests).hasSize(REQUESTS);
  }
}
