package dev.knetty.activator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Knative's SIGTERM sequence: unready, drain delay, stop accepting, finish, close. */
class ActivatorDrainTest extends ActivatorTestSupport {

  private boolean refusesConnections() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", activator.port()));
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void afterSigtermKubeletProbesGet500WhileRequestsAreStillServed() throws Exception {
    start(config().drainDelay(Duration.ofHours(1)));
    FakePod pod = servingPod(HELLO);
    assertThat(raw("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: kube-probe/1.30").status())
        .isEqualTo(200);
    Thread shutdown = new Thread(activator::shutdownGracefully, "test-shutdown");
    shutdown.start();
    await().atMost(WAIT).until(activator::isDraining);

    Raw probe = raw("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: kube-probe/1.30");

    assertThat(probe.status()).isEqualTo(500);
    assertThat(probe.body()).isEqualTo("received SIGTERM from kubelet\n");
    assertThat(join(get(HELLO, "/")).statusCode()).as("still serving").isEqualTo(200);
    shutdown.interrupt(); // ends the drain delay: the activator closes
    shutdown.join(WAIT.toMillis());
    assertThat(shutdown.isAlive()).isFalse();
  }

  @Test
  void drainStopsAcceptingAndStillCompletesWaitingRequests() throws Exception {
    start(config());
    revision(HELLO, 1);
    List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      waiting.add(waitingGet(HELLO));
    }
    Thread shutdown = new Thread(activator::shutdownGracefully, "test-shutdown");
    shutdown.start();
    await().atMost(WAIT).until(this::refusesConnections);
    assertThat(waiting).noneMatch(CompletableFuture::isDone);

    FakePod pod = pod();
    endpoints(HELLO, pod);

    for (CompletableFuture<HttpResponse<String>> f : waiting) {
      HttpResponse<String> r = join(f);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Connection")).hasValue("close");
    }
    shutdown.join(WAIT.toMillis());
    assertThat(shutdown.isAlive()).as("closed once idle").isFalse();
  }
}
