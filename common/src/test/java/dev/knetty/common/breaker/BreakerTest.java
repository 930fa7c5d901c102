package dev.knetty.common.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Knative's {@code breaker_test.go} as ordered operations (knative-dataplane.md §6: the upstream
 * tests rely on goroutine scheduling), plus the non-blocking behaviour. The requester is an {@link
 * EmbeddedChannel}'s event loop: hand-overs run only when the test runs its pending tasks, so every
 * step is deterministic.
 */
class BreakerTest {

  private final EmbeddedChannel requester = new EmbeddedChannel();

  @AfterEach
  void tearDown() {
    assertFalse(requester.finishAndReleaseAll());
  }

  private EventExecutor loop() {
    return requester.eventLoop();
  }

  private static Breaker breaker(int queueDepth, int maxConcurrency, int initialCapacity) {
    return new Breaker(new BreakerConfig(queueDepth, maxConcurrency, initialCapacity));
  }

  /** Runs the hand-overs queued on the requester's executor. */
  private void runHandOvers() {
    requester.runPendingTasks();
  }

  private static Permit granted(Future<Permit> f) {
    assertThat(f.isSuccess()).as("granted: %s", f).isTrue();
    return f.getNow();
  }

  private static void assertQueueFull(Future<Permit> f) {
    assertThat(f.isDone()).isTrue();
    assertThat(f.cause())
        .isInstanceOf(QueueFullException.class)
        .hasMessage("pending request queue full");
  }

  private static void assertCounts(Breaker b, long inFlight, int executing, int waiting) {
    assertThat(b.inFlight()).as("inFlight").isEqualTo(inFlight);
    assertThat(b.executing()).as("executing").isEqualTo(executing);
    assertThat(b.waiting()).as("waiting").isEqualTo(waiting);
  }

  // --- Knative: TestBreakerInvalidConstructor

  @Test
  void rejectsInvalidParametersNamingFieldValueAndExpectation() {
    assertThatThrownBy(() -> new BreakerConfig(0, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("queueDepth: 0 (expected: > 0)");
    assertThatThrownBy(() -> new BreakerConfig(1, -1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxConcurrency: -1 (expected: >= 0)");
    assertThatThrownBy(() -> new BreakerConfig(1, 1, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("initialCapacity: -1 (expected: >= 0 and <= maxConcurrency 1)");
    assertThatThrownBy(() -> new BreakerConfig(1, 5, 6))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("initialCapacity: 6 (expected: >= 0 and <= maxConcurrency 5)");
  }

  @Test
  void queueProxyBreakerFromContainerConcurrency() {
    assertThat(BreakerConfig.forContainerConcurrency(2)).isEqualTo(new BreakerConfig(20, 2, 2));
    assertThatThrownBy(() -> BreakerConfig.forContainerConcurrency(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("containerConcurrency: 0 (expected: >= 1");
    assertThatThrownBy(() -> BreakerConfig.forContainerConcurrency(Integer.MAX_VALUE / 10 + 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // --- The queue is full at exactly totalSlots

  @Test
  void queueProxyShapeAdmitsElevenTimesConcurrencyAndRejectsTheNextAtOnce() {
    Breaker b = new Breaker(BreakerConfig.forContainerConcurrency(2)); // 20 + 2 slots
    List<Future<Permit>> admitted = new ArrayList<>();
    for (int i = 0; i < 22; i++) {
      Future<Permit> f = b.acquire(loop());
      assertThat(f.isDone() && !f.isSuccess()).as("request %d failed", i).isFalse();
      admitted.add(f);
    }
    assertCounts(b, 22, 2, 20);
    assertThat(admitted.subList(0, 2)).allMatch(Future::isSuccess);
    assertThat(admitted.subList(2, 22)).noneMatch(Future::isDone);

    assertQueueFull(b.acquire(loop()));
    assertCounts(b, 22, 2, 20);

    // Drain in order; every waiter gets its turn.
    for (int i = 0; i < 22; i++) {
      granted(admitted.get(i)).release();
      runHandOvers();
    }
    assertCounts(b, 0, 0, 0);
  }

  // --- Knative: TestBreakerReserveOverload, TestBreakerOverloadMixed

  @Test
  void reserveFailsWithoutCapacityAndSucceedsAfterARelease() {
    Breaker b = breaker(1, 1, 1);
    Permit first = b.tryReserve();
    assertThat(first).isNotNull();
    assertThat(b.tryReserve()).isNull();
    assertCounts(b, 1, 1, 0); // the failed reservation left no trace
    first.release();
    Permit second = b.tryReserve();
    assertThat(second).isNotNull();
    second.release();
    assertCounts(b, 0, 0, 0);
  }

  @Test
  void reserveAndAcquireShareTheSlots() {
    Breaker b = breaker(1, 1, 1);
    Permit executing = granted(b.acquire(loop()));
    assertThat(b.tryReserve()).isNull();
    executing.release();
    Permit reserved = b.tryReserve();
    assertThat(reserved).isNotNull();
    reserved.release();
    assertCounts(b, 0, 0, 0);
  }

  // --- Knative: TestBreakerOverload, TestBreakerQueueing, TestBreakerNoOverload

  @Test
  void overloadFailsTheRequestBeyondQueueAndCapacity() {
    Breaker b = breaker(1, 1, 1);
    Future<Permit> first = b.acquire(loop());
    Future<Permit> second = b.acquire(loop());
    assertQueueFull(b.acquire(loop()));

    assertThat(second.isDone()).isFalse();
    granted(first).release();
    runHandOvers();
    granted(second).release();
    assertCounts(b, 0, 0, 0);
  }

  @Test
  void queuedRequestsProceedWhenCapacityArrives() {
    Breaker b = breaker(1, 1, 0);
    Future<Permit> first = b.acquire(loop());
    Future<Permit> second = b.acquire(loop());
    runHandOvers();
    assertThat(first.isDone()).isFalse();
    assertThat(second.isDone()).isFalse();

    b.updateConcurrency(1);
    runHandOvers();
    granted(first).release();
    runHandOvers();
    granted(second).release();
    assertCounts(b, 0, 0, 0);
  }

  @Test
  void processOneSendOneStaysWithinCapacity() {
    Breaker b = breaker(1, 1, 1);
    List<Future<Permit>> reqs = new ArrayList<>();
    reqs.add(b.acquire(loop()));
    reqs.add(b.acquire(loop()));
    for (int i = 0; i < 2; i++) {
      granted(reqs.get(i)).release();
      runHandOvers();
      reqs.add(b.acquire(loop()));
    }
    granted(reqs.get(2)).release();
    runHandOvers();
    granted(reqs.get(3)).release();
    assertThat(reqs).allMatch(Future::isSuccess);
    assertCounts(b, 0, 0, 0);
  }

  // --- Knative: TestBreakerCancel

  @Test
  void cancelledRequestsFreeTheirPlace() {
    Breaker b = breaker(1, 1, 0);
    for (int i = 0; i < 2; i++) {
      // Knative found a bug in freeing pending slots with the second one.
      Future<Permit> f = b.acquire(loop());
      assertThat(f.cancel(false)).isTrue();
      assertThat(f.cause()).isInstanceOf(CancellationException.class);
      assertCounts(b, 0, 0, 0);
    }

    b.updateConcurrency(1);
    Future<Permit> executing = b.acquire(loop());
    Future<Permit> queued = b.acquire(loop());
    assertQueueFull(b.acquire(loop()));
    assertQueueFull(b.acquire(loop())); // still consistently at capacity

    granted(executing).release();
    runHandOvers();
    granted(queued).release();
    assertCounts(b, 0, 0, 0);
  }

  // --- Knative: TestBreakerLargeCapacityRecover (via the older breaker_test.go)

  @Test
  void largeBreakerShedsExactlyTheExcessAndRecovers() {
    Breaker b = breaker(5, 45, 45); // 50 slots
    List<Future<Permit>> reqs = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      reqs.add(b.acquire(loop()));
    }
    for (int i = 100; i < 150; i++) {
      granted(reqs.get(i - 100)).release();
      runHandOvers();
      reqs.add(b.acquire(loop()));
    }
    for (int i = 50; i < 150; i++) {
      if (reqs.get(i).isSuccess()) {
        reqs.get(i).getNow().release();
        runHandOvers();
      }
    }
    runHandOvers();
    for (int i = 0; i < 150; i++) {
      boolean wantAccepted = i < 50 || i >= 100;
      assertThat(reqs.get(i).isSuccess()).as("request %d accepted", i).isEqualTo(wantAccepted);
    }
    assertCounts(b, 0, 0, 0);
  }

  // --- Knative: TestBreakerUpdateConcurrency, TestBreakerCapacityAsUint64

  @Test
  void capacityFollowsUpdatesAndIsNotBoundedByMaxConcurrency() {
    Breaker b = breaker(1, 1, 0);
    b.updateConcurrency(1);
    assertThat(b.capacity()).isEqualTo(1);
    b.updateConcurrency(0);
    assertThat(b.capacity()).isZero();

    Breaker c = breaker(10, 5, 5);
    assertThat(c.capacity()).isEqualTo(5);
    c.updateConcurrency(10);
    assertThat(c.capacity()).isEqualTo(10);
    c.updateConcurrency(100);
    assertThat(c.capacity()).isEqualTo(100);

    assertThatThrownBy(() -> b.updateConcurrency(-2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("concurrency: -2 (expected: >= 0)");
  }

  // --- Knative: TestBreakerPending, TestBreakerInFlight

  @Test
  void inFlightCountsReservationsAndReturnsToZero() {
    Breaker b = breaker(10, 5, 5);
    assertCounts(b, 0, 0, 0);
    List<Permit> permits = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      permits.add(b.tryReserve());
      assertThat(b.inFlight()).isEqualTo(i + 1);
    }
    for (int i = 5; i < 15; i++) {
      assertThat(b.tryReserve()).isNull();
    }
    assertCounts(b, 5, 5, 0);
    permits.get(0).release();
    assertCounts(b, 4, 4, 0);
    permits.forEach(Permit::release);
    assertCounts(b, 0, 0, 0);
  }

  // --- Capacity changes while requests wait

  @Test
  void capacityBelowExecutingWakesNobodyUntilBelowCapacity() {
    Breaker b = breaker(10, 3, 3);
    List<Future<Permit>> executing = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      executing.add(b.acquire(loop()));
    }
    Future<Permit> waiter = b.acquire(loop());
    b.updateConcurrency(1);
    assertCounts(b, 4, 3, 1);

    granted(executing.get(0)).release(); // 2 held, capacity 1
    runHandOvers();
    assertThat(waiter.isDone()).isFalse();
    granted(executing.get(1)).release(); // 1 held, capacity 1
    runHandOvers();
    assertThat(waiter.isDone()).isFalse();
    granted(executing.get(2)).release(); // 0 held: the waiter's turn
    runHandOvers();
    granted(waiter).release();
    assertCounts(b, 0, 0, 0);
  }

  @Test
  void capacityIncreaseWakesUpToTheDifferenceInArrivalOrder() {
    Breaker b = breaker(10, 5, 1);
    Permit holder = granted(b.acquire(loop()));
    List<Future<Permit>> waiters = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      waiters.add(b.acquire(loop()));
    }
    b.updateConcurrency(3);
    runHandOvers();
    assertThat(waiters)
        .extracting(Future::isSuccess)
        .containsExactly(true, true, false, false, false);
    assertCounts(b, 6, 3, 3);

    holder.release();
    runHandOvers();
    assertThat(waiters)
        .extracting(Future::isSuccess)
        .containsExactly(true, true, true, false, false);

    for (Future<Permit> w : waiters) {
      runHandOvers();
      granted(w).release();
    }
    assertCounts(b, 0, 0, 0);
  }

  @Test
  void concurrencyZeroThenBack() {
    Breaker b = breaker(10, 2, 2);
    Permit p1 = granted(b.acquire(loop()));
    Permit p2 = granted(b.acquire(loop()));
    Future<Permit> waiter = b.acquire(loop());

    b.updateConcurrency(0);
    p1.release();
    p2.release();
    runHandOvers();
    assertThat(waiter.isDone()).isFalse();
    assertThat(b.acquire(loop()).isDone()).isFalse(); // new ones queue too
    assertCounts(b, 2, 0, 2);

    b.updateConcurrency(2);
    runHandOvers();
    assertThat(waiter.isSuccess()).isTrue();
    assertCounts(b, 2, 2, 0);
  }

  // --- Cancellation

  @Test
  void cancellingAQueuedRequestFreesItsPlaceInTheQueue() {
    Breaker b = breaker(1, 1, 1);
    Permit holder = granted(b.acquire(loop()));
    Future<Permit> queued = b.acquire(loop());
    assertQueueFull(b.acquire(loop()));

    assertThat(queued.cancel(false)).isTrue();
    assertCounts(b, 1, 1, 0);
    Future<Permit> next = b.acquire(loop());
    assertThat(next.isDone()).isFalse();

    holder.release();
    runHandOvers();
    assertThat(queued.isCancelled()).isTrue();
    granted(next).release();
    assertCounts(b, 0, 0, 0);
  }

  @Test
  void cancelThatWinsOverAGrantReleasesThePermitToTheNextWaiter() {
    Breaker b = breaker(10, 1, 1);
    Permit holder = granted(b.acquire(loop()));
    Future<Permit> first = b.acquire(loop());
    Future<Permit> second = b.acquire(loop());

    holder.release(); // grants `first`; its hand-over is queued on the requester
    assertCounts(b, 2, 1, 1);
    assertThat(first.cancel(false)).isTrue(); // before the hand-over ran
    runHandOvers(); // the hand-over finds it cancelled and releases; `second` is granted
    runHandOvers();

    assertThat(first.isCancelled()).isTrue();
    granted(second).release();
    assertCounts(b, 0, 0, 0);
  }

  @Test
  void cancelAfterTheHandOverFailsAndTheHolderKeepsThePermit() {
    Breaker b = breaker(10, 1, 1);
    Permit holder = granted(b.acquire(loop()));
    Future<Permit> waiter = b.acquire(loop());
    holder.release();
    runHandOvers();

    assertThat(waiter.cancel(false)).isFalse();
    assertCounts(b, 1, 1, 0);
    granted(waiter).release();
    assertCounts(b, 0, 0, 0);
  }

  @Test
  void cancellingAGrantedOrFailedFutureChangesNothing() {
    Breaker b = breaker(1, 1, 1);
    Future<Permit> now = b.acquire(loop());
    Future<Permit> queued = b.acquire(loop());
    Future<Permit> full = b.acquire(loop());
    assertThat(now.cancel(false)).isFalse();
    assertThat(full.cancel(false)).isFalse();
    assertCounts(b, 2, 1, 1);
    queued.cancel(false);
    granted(now).release();
    assertCounts(b, 0, 0, 0);
  }

  // --- Permits

  @Test
  void releasingAPermitTwiceReleasesOnce() {
    Breaker b = breaker(10, 2, 2);
    Permit p = granted(b.acquire(loop()));
    Permit other = granted(b.acquire(loop()));
    assertThat(p.isReleased()).isFalse();
    assertThat(p.release()).isTrue();
    assertThat(p.release()).isFalse();
    p.close();
    assertThat(p.isReleased()).isTrue();
    assertCounts(b, 1, 1, 0); // `other` still counted
    other.close();
    assertCounts(b, 0, 0, 0);
  }

  // --- tryReserve

  @Test
  void tryReserveNeverQueuesAndLeavesNoTraceWhenItFails() {
    Breaker full = breaker(1, 1, 1);
    Permit holder = full.tryReserve();
    Future<Permit> queued = full.acquire(loop());
    assertThat(full.tryReserve()).as("queue full").isNull();
    assertCounts(full, 2, 1, 1);
    holder.release();
    runHandOvers();
    granted(queued).release();
    assertCounts(full, 0, 0, 0);

    Breaker closed = breaker(5, 1, 0);
    Future<Permit> waiter = closed.acquire(loop());
    assertThat(closed.tryReserve()).as("no capacity, one waiting").isNull();
    assertCounts(closed, 1, 0, 1);
    waiter.cancel(false);
    assertCounts(closed, 0, 0, 0);
  }

  // --- Large breakers

  @Test
  void maxConcurrencyOfMaxIntNeedsNoLargeStructures() {
    Breaker b = new Breaker(new BreakerConfig(10_000, BreakerConfig.MAX_CAPACITY, 0));
    assertThat(b.config().totalSlots()).isEqualTo(10_000L + Integer.MAX_VALUE);
    b.updateConcurrency(BreakerConfig.MAX_CAPACITY);
    List<Permit> permits = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      permits.add(granted(b.acquire(loop())));
    }
    assertCounts(b, 1000, 1000, 0);
    permits.forEach(Permit::release);
    assertCounts(b, 0, 0, 0);

    BreakerConfig huge = new BreakerConfig(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);
    assertThat(huge.totalSlots()).isEqualTo(2L * Integer.MAX_VALUE);
    assertThat(new Breaker(huge).tryReserve()).isNotNull();
  }
}
