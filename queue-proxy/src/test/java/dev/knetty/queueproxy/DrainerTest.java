package dev.knetty.queueproxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Knative's Drainer: quiet period, restarted by requests; reset by /wait-for-drain. */
class DrainerTest {

  private final DefaultEventLoop loop = new DefaultEventLoop();

  @AfterEach
  void stop() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Test
  void drainCompletesAfterTheQuietPeriodAndStaysDraining() throws Exception {
    Drainer d = new Drainer(loop, Duration.ofMillis(100));
    assertThat(d.isDraining()).isFalse();

    CompletableFuture<Void> quiet = d.drain();

    assertThat(d.isDraining()).isTrue();
    assertThat(d.drain()).isSameAs(quiet);
    quiet.get(30, TimeUnit.SECONDS);
    assertThat(d.isDraining()).isTrue();
    assertThat(d.drain()).isDone();
  }

  @Test
  void requestsRestartTheQuietPeriod() {
    AtomicLong now = new AtomicLong();
    // The real timer (1 min) never fires in this test: the test runs its task at chosen times.
    Drainer d = new Drainer(loop, Duration.ofMinutes(1), now::get);
    d.requestArrived(); // before draining: nothing to restart
    CompletableFuture<Void> quiet = d.drain();

    now.set(TimeUnit.SECONDS.toNanos(50));
    d.requestArrived();
    now.set(TimeUnit.SECONDS.toNanos(100));
    d.check();
    assertThat(quiet).isNotDone(); // 50 s since the last request

    now.set(TimeUnit.SECONDS.toNanos(110));
    d.check();
    assertThat(quiet).isDone();
  }

  @Test
  void aResetEndsTheWaitAndStopsDraining() throws Exception {
    Drainer d = new Drainer(loop, Duration.ofMinutes(5));
    CompletableFuture<Void> quiet = d.drain();

    d.reset();

    assertThat(quiet).isDone();
    assertThat(d.isDraining()).isFalse();
    // A later drain starts over.
    CompletableFuture<Void> again = d.drain();
    assertThat(again).isNotSameAs(quiet).isNotDone();
    assertThat(d.isDraining()).isTrue();
  }

  @Test
  void aResetAfterTheQuietPeriodKeepsDraining() throws Exception {
    Drainer d = new Drainer(loop, Duration.ZERO);
    d.drain().get(30, TimeUnit.SECONDS);

    d.reset();

    assertThat(d.isDraining()).isTrue();
  }
}
