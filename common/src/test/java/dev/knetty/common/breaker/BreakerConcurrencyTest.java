package dev.knetty.common.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The breaker across real executor threads: where waiters complete, and invariants under load. */
class BreakerConcurrencyTest {

  private final List<EventExecutor> executors = new ArrayList<>();
  private DefaultEventExecutorGroup group;

  @AfterEach
  void tearDown() {
    for (EventExecutor e : executors) {
      e.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
    if (group != null) {
      group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  private EventExecutor newExecutor() {
    EventExecutor e = new DefaultEventExecutor();
    executors.add(e);
    return e;
  }

  private static <T> T on(EventExecutor executor, Callable<T> task) {
    return executor.submit(task).syncUninterruptibly().getNow();
  }

  @Test
  void aWaiterCompletesOnItsRequestersExecutor() {
    EventExecutor requester = newExecutor();
    EventExecutor releaser = newExecutor();
    Breaker b = new Breaker(new BreakerConfig(10, 1, 1));
    Permit holder = b.tryReserve();

    AtomicReference<Thread> completedOn = new AtomicReference<>();
    Future<Permit> waiter =
        on(
            requester,
            () -> {
              Future<Permit> f = b.acquire(requester);
              f.addListener(done -> completedOn.set(Thread.currentThread()));
              return f;
            });
    Thread requesterThread = on(requester, Thread::currentThread);

    on(releaser, holder::release);

    await().atMost(Duration.ofSeconds(30)).until(() -> completedOn.get() != null);
    assertThat(completedOn.get()).isSameAs(requesterThread);
    assertThat(waiter.getNow()).isNotNull();
    waiter.getNow().release();
    assertThat(b.inFlight()).isZero();
  }

  @Test
  void aWaiterIsNeverCompletedInsideTheReleaseCall() {
    EventExecutor loop = newExecutor();
    Breaker b = new Breaker(new BreakerConfig(10, 1, 1));
    boolean doneDuringRelease =
        on(
            loop,
            () -> {
              Permit holder = b.acquire(loop).getNow();
              Future<Permit> waiter = b.acquire(loop);
              holder.release(); // same thread as the requester: still handed over later
              return waiter.isDone();
            });
    assertThat(doneDuringRelease).isFalse();
    await().atMost(Duration.ofSeconds(30)).until(() -> b.waiting() == 0 && b.executing() == 1);
  }

  @Test
  void aGrantToAStoppedExecutorIsReleased() {
    EventExecutor requester = newExecutor();
    Breaker b = new Breaker(new BreakerConfig(10, 1, 1));
    Permit holder = b.tryReserve();
    Future<Permit> waiter = b.acquire(requester);
    requester.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();

    holder.release();

    assertThat(waiter.isSuccess()).isFalse();
    assertThat(b.inFlight()).isZero();
    assertThat(b.executing()).isZero();
  }

  /**
   * Several executors acquire, hold briefly, release, and cancel each other's requests (racing
   * grants). Every acquisition must end exactly once, never more than capacity permits are held,
   * and every count returns to zero.
   */
  @Test
  void stressFromSeveralExecutorsKeepsInvariants() {
    int loops = 4;
    int perLoop = 2_000;
    int capacity = 3;
    group = new DefaultEventExecutorGroup(loops);
    Breaker b = new Breaker(new BreakerConfig(40, capacity, capacity));
    AtomicInteger holding = new AtomicInteger();
    AtomicInteger maxHolding = new AtomicInteger();
    AtomicInteger granted = new AtomicInteger();
    AtomicInteger released = new AtomicInteger();
    AtomicInteger full = new AtomicInteger();
    AtomicInteger cancelled = new AtomicInteger();
    AtomicInteger outcomes = new AtomicInteger();
    List<EventExecutor> loopList = new ArrayList<>();
    group.forEach(loopList::add);

    List<CompletableFuture<Void>> drivers = new ArrayList<>();
    for (int l = 0; l < loops; l++) {
      EventExecutor requester = loopList.get(l);
      EventExecutor canceller = loopList.get((l + 1) % loops);
      CompletableFuture<Void> driven = new CompletableFuture<>();
      drivers.add(driven);
      requester.execute(
          new Runnable() {
            int sent;

            @Override
            public void run() {
              // Send in small batches so the other loops interleave.
              for (int i = 0; i < 20 && sent < perLoop; i++, sent++) {
                Future<Permit> f = b.acquire(requester);
                f.addListener(
                    done -> {
                      outcomes.incrementAndGet();
                      if (done.isSuccess()) {
                        granted.incrementAndGet();
                        int now = holding.incrementAndGet();
                        maxHolding.accumulateAndGet(now, Math::max);
                        Permit p = f.getNow();
                        requester.execute(
                            () -> {
                              holding.decrementAndGet();
                              p.release();
                              released.incrementAndGet();
                            });
                      } else if (done.cause() instanceof QueueFullException) {
                        full.incrementAndGet();
                      } else if (done.cause() instanceof CancellationException) {
                        cancelled.incrementAndGet();
                      }
                    });
                if (ThreadLocalRandom.current().nextInt(4) == 0) {
                  canceller.execute(() -> f.cancel(false));
                }
              }
              if (sent < perLoop) {
                requester.execute(this);
              } else {
                driven.complete(null);
              }
            }
          });
    }

    CompletableFuture.allOf(drivers.toArray(new CompletableFuture<?>[0])).join();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> outcomes.get() == loops * perLoop && released.get() == granted.get());

    assertThat(granted.get() + full.get() + cancelled.get()).isEqualTo(loops * perLoop);
    assertThat(granted.get()).isPositive();
    assertThat(cancelled.get()).as("cancels that won").isPositive();
    assertThat(maxHolding.get()).isLessThanOrEqualTo(capacity);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              assertThat(b.inFlight()).isZero();
              assertThat(b.executing()).isZero();
              assertThat(b.waiting()).isZero();
            });
  }
}
