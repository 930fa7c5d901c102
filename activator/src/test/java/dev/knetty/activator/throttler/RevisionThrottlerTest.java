package dev.knetty.activator.throttler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.knetty.common.proxy.UpstreamTarget;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The throttler on an {@link EmbeddedChannel}'s loop: hand-overs queue until {@link
 * EmbeddedChannel#runPendingTasks()}, so interleavings are chosen by the test.
 */
class RevisionThrottlerTest {

  private static final UpstreamTarget P1 = UpstreamTarget.of("10.0.0.1", 8012);
  private static final UpstreamTarget P2 = UpstreamTarget.of("10.0.0.2", 8012);
  private static final UpstreamTarget P3 = UpstreamTarget.of("10.0.0.3", 8012);
  private static final UpstreamTarget P10 = UpstreamTarget.of("10.0.0.10", 8012);

  private final EmbeddedChannel channel = new EmbeddedChannel();
  private final EventLoop loop = channel.eventLoop();

  @AfterEach
  void tearDown() {
    assertFalse(channel.finishAndReleaseAll());
  }

  private Lease lease(Future<Lease> f) {
    channel.runPendingTasks();
    assertThat(f.isSuccess()).as("granted: %s", f).isTrue();
    return f.getNow();
  }

  /**
   * A throttler with one pod of containerConcurrency 1 whose slot {@code holder} holds, and a
   * second request {@code parked} that got a revision slot but found no pod slot: a second pod let
   * it through the revision breaker and went before its hand-over ran.
   */
  private record Parked(RevisionThrottler throttler, Lease holder, Future<Lease> parked) {}

  private Parked parked() {
    RevisionThrottler t = new RevisionThrottler("r", 1);
    t.updatePods(List.of(P1));
    Lease a = lease(t.acquire(loop));
    Future<Lease> b = t.acquire(loop);
    channel.runPendingTasks();
    assertThat(b.isDone()).isFalse();
    t.updatePods(List.of(P1, P2)); // b's hand-over to its loop is queued
    t.updatePods(List.of(P1));
    channel.runPendingTasks();
    assertThat(b.isDone()).isFalse();
    assertThat(t.waiting()).as("parked").isEqualTo(1);
    return new Parked(t, a, b);
  }

  @Test
  void requestsWaitWithoutPodsAndProceedWhenOneAppears() {
    RevisionThrottler t = new RevisionThrottler("r", 1);
    Future<Lease> f = t.acquire(loop);
    channel.runPendingTasks();

    assertThat(f.isDone()).isFalse();
    assertThat(t.capacity()).isZero();
    assertThat(t.waiting()).isEqualTo(1);

    t.updatePods(List.of(P1));

    assertThat(lease(f).target()).isEqualTo(P1);
    assertThat(t.waiting()).isZero();
  }

  @Test
  void containerConcurrencyOneNeverPutsTwoRequestsOnAPod() {
    RevisionThrottler t = new RevisionThrottler("r", 1);
    t.updatePods(List.of(P1, P2));
    Lease a = lease(t.acquire(loop));
    Lease b = lease(t.acquire(loop));
    Future<Lease> c = t.acquire(loop);
    channel.runPendingTasks();

    assertThat(Set.of(a.target(), b.target())).containsExactlyInAnyOrder(P1, P2);
    assertThat(c.isDone()).isFalse();

    a.release();

    assertThat(lease(c).target()).isEqualTo(a.target());
    b.release();
    c.getNow().release();
    assertThat(t.executing()).isZero();
  }

  @Test
  void capacityIsContainerConcurrencyTimesAssignedPodsOrUnlimited() {
    assertThat(RevisionThrottler.capacity(10, 3, 3, 1)).isEqualTo(30);
    assertThat(RevisionThrottler.capacity(10, 1, 3, 3)).isEqualTo(10);
    assertThat(RevisionThrottler.capacity(0, 2, 2, 1)).isEqualTo(Integer.MAX_VALUE);
    assertThat(RevisionThrottler.capacity(0, 0, 0, 1)).isZero();
    assertThat(RevisionThrottler.capacity(7, 0, 0, 2)).isZero();
    assertThat(RevisionThrottler.capacity(1_000_000, 5_000, 5_000, 1)).isEqualTo(Integer.MAX_VALUE);

    RevisionThrottler unlimited = new RevisionThrottler("r", 0);
    assertThat(unlimited.capacity()).isZero();
    unlimited.updatePods(List.of(P1));
    assertThat(unlimited.capacity()).isEqualTo(Integer.MAX_VALUE);
    unlimited.updatePods(List.of());
    assertThat(unlimited.capacity()).isZero();
  }

  @Test
  void firstAvailableTriesPodsInIpPortStringOrder() {
    RevisionThrottler t = new RevisionThrottler("r", 1);
    t.updatePods(List.of(P2, P1, P10));

    // Knative sorts dest strings: "10.0.0.10:8012" < "10.0.0.1:8012" < "10.0.0.2:8012".
    assertThat(t.assignedTargets()).containsExactly(P10, P1, P2);
    Lease first = lease(t.acquire(loop));
    Lease second = lease(t.acquire(loop));
    assertThat(first.target()).isEqualTo(P10);
    assertThat(second.target()).isEqualTo(P1);
    first.release();
    Lease third = lease(t.acquire(loop));
    assertThat(third.target()).isEqualTo(P10);
    second.release();
    third.release();
  }

  @Test
  void roundRobinRotatesForContainerConcurrencyFourAndMore() {
    RevisionThrottler t = new RevisionThrottler("r", 4);
    t.updatePods(List.of(P1, P2, P3));
    List<UpstreamTarget> picked = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Lease l = lease(t.acquire(loop));
      picked.add(l.target());
      l.release();
    }
    assertThat(picked).containsExactly(P1, P2, P3, P1);
  }

  @Test
  void randomChoiceOfTwoPrefersTheLessLoadedPodForUnlimitedConcurrency() {
    RevisionThrottler t = new RevisionThrottler("r", 0);
    t.updatePods(List.of(P1, P2));
    List<Lease> held = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      held.add(lease(t.acquire(loop)));
    }
    long onP1 = held.stream().filter(l -> l.target().equals(P1)).count();
    // Every pick compares both pods' in-flight counts: the load stays within one.
    assertThat(onP1).isEqualTo(5);
    held.forEach(Lease::release);
  }

  @Test
  void subsetLimitsPodsAndCapacityToThisActivatorsSlice() {
    RevisionThrottler t = new RevisionThrottler("r", 2);
    t.updatePods(List.of(P1, P2, P3));
    assertThat(t.capacity()).isEqualTo(6);

    t.updateSubset(1, 3);

    assertThat(t.assignedTargets()).containsExactly(P2);
    assertThat(t.capacity()).isEqualTo(2);
    assertThat(lease(t.acquire(loop)).target()).isEqualTo(P2);

    t.updateSubset(-1, 3); // not in the subset (or unknown): all pods
    assertThat(t.assignedTargets()).containsExactly(P1, P2, P3);
  }

  @Test
  void subsetIsIgnoredForUnlimitedConcurrency() {
    RevisionThrottler t = new RevisionThrottler("r", 0);
    t.updatePods(List.of(P1, P2, P3));
    t.updateSubset(1, 3);
    assertThat(t.assignedTargets()).containsExactly(P1, P2, P3);
  }

  @Test
  void aRevisionSlotWithoutAPodSlotParksUntilAPodSlotIsReleased() {
    Parked p = parked();
    // Parked means idle: nothing is queued to try again.
    assertThat(channel.hasPendingTasks()).isFalse();

    p.holder().release();

    assertThat(lease(p.parked()).target()).isEqualTo(P1);
    p.parked().getNow().release();
    assertThat(p.throttler().executing()).isZero();
    assertThat(p.throttler().waiting()).isZero();
  }

  @Test
  void aParkedRequestProceedsWhenPodsChange() {
    Parked p = parked();

    p.throttler().updatePods(List.of(P1, P3));

    assertThat(lease(p.parked()).target()).isEqualTo(P3);
    p.holder().release();
    p.parked().getNow().release();
  }

  @Test
  void cancellingAWaitingRequestLeavesNoSlotBehind() {
    RevisionThrottler t = new RevisionThrottler("r", 1);
    Future<Lease> f = t.acquire(loop);
    channel.runPendingTasks();

    assertThat(f.cancel(false)).isTrue();
    t.updatePods(List.of(P1));
    channel.runPendingTasks();

    assertThat(t.waiting()).isZero();
    assertThat(t.executing()).isZero();
    Lease l = lease(t.acquire(loop));
    assertThat(l.target()).isEqualTo(P1);
    l.release();
  }

  @Test
  void cancellingAParkedRequestReleasesItsRevisionSlot() {
    Parked p = parked();

    assertThat(p.parked().cancel(false)).isTrue();
    p.holder().release();
    channel.runPendingTasks();

    assertThat(p.throttler().waiting()).isZero();
    assertThat(p.throttler().executing()).isZero();
  }

  @Test
  void closingFailsWaitingRequestsAndLaterOnes() {
    RevisionThrottler t = new RevisionThrottler("r", 1);
    Future<Lease> waiting = t.acquire(loop);
    channel.runPendingTasks();

    t.close();
    channel.runPendingTasks();

    assertThat(waiting.cause()).isInstanceOf(ThrottlerClosedException.class);
    assertThat(t.acquire(loop).cause()).isInstanceOf(ThrottlerClosedException.class);
  }

  @Test
  void reassignMovesTheLeaseToAnotherPodWithAFreeSlot() {
    RevisionThrottler t = new RevisionThrottler("r", 1);
    t.updatePods(List.of(P1, P2));
    Lease a = lease(t.acquire(loop));
    assertThat(a.target()).isEqualTo(P1);

    assertThat(t.reassign(a, Set.of(P1))).as("moved").isTrue();
    assertThat(a.target()).isEqualTo(P2);

    Lease b = lease(t.acquire(loop));
    assertThat(b.target()).as("P1's slot was released").isEqualTo(P1);
    Set<UpstreamTarget> tried = new HashSet<>(Set.of(P2));
    assertThat(t.reassign(a, tried)).as("P1 is full: P2 is kept").isFalse();
    assertThat(a.target()).isEqualTo(P2);

    t.updatePods(List.of(P1)); // P2 left rotation (its connection failed)
    assertThat(t.reassign(a, tried)).as("P1 is full: P2 is kept for a retry").isFalse();
    assertThat(a.target()).isEqualTo(P2);
    a.release();
    b.release();
    assertThat(t.executing()).isZero();
  }

  @Test
  void containerConcurrencyChangesResetEveryPod() {
    RevisionThrottler t = new RevisionThrottler("r", 1);
    t.updatePods(List.of(P1));
    Lease a = lease(t.acquire(loop));

    t.updateContainerConcurrency(2);

    assertThat(t.capacity()).isEqualTo(2);
    Lease b = lease(t.acquire(loop));
    assertThat(b.target()).isEqualTo(P1);
    a.release();
    b.release();
  }
}
