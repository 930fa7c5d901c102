package dev.knetty.activator.throttler;

import dev.knetty.common.breaker.Breaker;
import dev.knetty.common.breaker.BreakerConfig;
import dev.knetty.common.breaker.Permit;
import dev.knetty.common.proxy.UpstreamTarget;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Knative's per-revision throttler ({@code pkg/activator/net/throttler.go}; knative-dataplane.md
 * §2.3), non-blocking: a revision breaker whose capacity is {@code containerConcurrency × the pods
 * assigned to this activator}, in front of per-pod trackers, so that a request proceeds only with a
 * slot of its revision <b>and</b> a slot on a pod.
 *
 * <ul>
 *   <li><b>Capacity.</b> {@code cc × assigned pods}; with {@code cc = 0} (Knative's infinite
 *       breaker) unlimited as soon as there is a pod; 0 without pods, when requests wait.
 *   <li><b>Pods.</b> {@link #updatePods} takes the healthy pods; they are sorted by {@code ip:port}
 *       string and, with {@code cc > 0}, cut to this activator's slice ({@link #updateSubset},
 *       Knative's {@code assignSlice}; index {@code -1} uses all). Trackers are kept across updates
 *       by address, and every update resets their capacity to {@code cc}.
 *   <li><b>Load balancing</b> by {@code cc}: first available (1-3), round robin (4+), power of two
 *       choices on in-flight requests (0).
 *   <li><b>Re-enqueue.</b> Revision and pod capacities change separately, so a request may get a
 *       revision slot while no pod slot is free. It then keeps the revision slot and parks until a
 *       pod slot is released or the pods change (no spinning), and tries again.
 * </ul>
 *
 * <p>Waiters are served first come, first served ({@link Breaker}). Nothing here bounds the number
 * of waiters: the caller admits them (the activator's buffer limits). A waiting request costs one
 * {@link Future} and the breaker's queue node.
 *
 * <p>Thread-safety: {@link #acquire} may be called on any event loop; the returned future completes
 * on that loop, and the {@link Lease} is used there. The update methods may be called from any
 * thread (they are serialised); in the activator they run on its control loop.
 */
public final class RevisionThrottler {

  /** Knative's {@code breakerQueueDepth}; the real bound on waiters is the caller's. */
  private static final int QUEUE_DEPTH = 10_000;

  private static final int UNLIMITED = BreakerConfig.MAX_CAPACITY;

  private static final ThrottlerClosedException CLOSED = new ThrottlerClosedException();

  /** What the request path reads: replaced as a whole by every update. */
  private record State(
      int containerConcurrency, LoadBalancing policy, List<PodTracker> assigned, int pods) {}

  private final String name;
  private final Breaker breaker =
      new Breaker(new BreakerConfig(QUEUE_DEPTH, BreakerConfig.MAX_CAPACITY, 0));
  private final AtomicInteger roundRobin = new AtomicInteger();

  private volatile State state;
  private volatile boolean closed;

  // Updates, serialised by `this`.
  private int containerConcurrency;
  private List<UpstreamTarget> pods = List.of();
  private Map<UpstreamTarget, PodTracker> trackers = Map.of();
  private int activatorIndex = -1;
  private int activatorCount;

  // Parked requests: a revision slot but no pod slot. Guarded by `parked`.
  private final ArrayDeque<Ticket> parked = new ArrayDeque<>();
  private volatile int parkedCount;

  /**
   * Bumped by every pod-slot release and every update. A request that found no pod slot parks only
   * if nothing was released since it looked; otherwise it looks again.
   */
  private final AtomicLong signals = new AtomicLong();

  /**
   * A throttler without pods (capacity 0).
   *
   * @param name for logs, e.g. the revision
   * @param containerConcurrency the revision's containerConcurrency, 0 for unlimited
   */
  public RevisionThrottler(String name, int containerConcurrency) {
    this.name = Objects.requireNonNull(name, "name");
    checkContainerConcurrency(containerConcurrency);
    this.containerConcurrency = containerConcurrency;
    this.state =
        new State(
            containerConcurrency,
            LoadBalancing.forContainerConcurrency(containerConcurrency),
            List.of(),
            0);
  }

  // ---------------------------------------------------------------- request path

  /**
   * Asks for a revision slot and a pod slot for one request whose work runs on {@code requester}.
   * The future is already complete when both were free; otherwise it completes on {@code requester}
   * once they are, or fails with {@link ThrottlerClosedException} when the throttler closes. {@link
   * Future#cancel Cancel} it (on {@code requester}) when the request gives up; a lease it delivered
   * must be {@link Lease#release() released}.
   */
  public Future<Lease> acquire(EventExecutor requester) {
    Ticket ticket = new Ticket(requester);
    if (closed) {
      ticket.setFailure(CLOSED);
      return ticket;
    }
    ticket.start();
    return ticket;
  }

  /**
   * Moves {@code lease} to another assigned pod with a free slot, none of {@code exclude}, after a
   * connection to its pod failed (its old pod slot is released then). With no such pod it keeps its
   * own pod and slot, even if that pod just left rotation (a failed connection takes it out until a
   * probe passes): the caller retries it after a backoff and bounds the attempts, as Knative's
   * dialer retries the same address.
   *
   * @return whether the lease moved to another pod
   */
  public boolean reassign(Lease lease, Collection<UpstreamTarget> exclude) {
    PodTracker old = lease.pod();
    Permit kept = lease.takePodPermit();
    State s = state;
    List<PodTracker> candidates = new ArrayList<>(s.assigned.size());
    for (PodTracker t : s.assigned) {
      if (t != old && !exclude.contains(t.target)) {
        candidates.add(t);
      }
    }
    if (s.policy.pick(candidates, roundRobin, lease)) {
      if (kept != null && kept.release()) {
        podReleased();
      }
      return true;
    }
    lease.pod(old, kept);
    return false;
  }

  /** Called by a lease that released a pod slot: wake one parked request. */
  void podReleased() {
    signals.incrementAndGet();
    if (parkedCount != 0) {
      wake(1);
    }
  }

  // ---------------------------------------------------------------- updates

  /** The healthy pods of the revision (any order); an empty collection means capacity 0. */
  public synchronized void updatePods(Collection<UpstreamTarget> healthy) {
    pods = List.copyOf(healthy);
    recompute();
  }

  /** The revision's containerConcurrency changed (0 = unlimited). */
  public synchronized void updateContainerConcurrency(int containerConcurrency) {
    checkContainerConcurrency(containerConcurrency);
    if (this.containerConcurrency != containerConcurrency) {
      this.containerConcurrency = containerConcurrency;
      recompute();
    }
  }

  /**
   * This activator's position among the {@code activatorCount} activators fronting the revision;
   * {@code activatorIndex} {@code -1} (or a count of 0, unknown) uses all pods.
   */
  public synchronized void updateSubset(int activatorIndex, int activatorCount) {
    if (activatorIndex < -1 || activatorCount < 0) {
      throw new IllegalArgumentException(
          "subset: "
              + activatorIndex
              + "/"
              + activatorCount
              + " (expected: index >= -1, count >= 0)");
    }
    if (this.activatorIndex != activatorIndex || this.activatorCount != activatorCount) {
      this.activatorIndex = activatorIndex;
      this.activatorCount = activatorCount;
      recompute();
    }
  }

  /**
   * Stops the throttler (the revision is gone): every waiting and parked request fails with {@link
   * ThrottlerClosedException} on its loop, and so does every later {@link #acquire}.
   */
  public void close() {
    closed = true;
    synchronized (this) {
      state = new State(containerConcurrency, state.policy, List.of(), 0);
    }
    // Hands a slot to every waiter at once; each sees `closed` and fails.
    breaker.updateConcurrency(UNLIMITED);
    signals.incrementAndGet();
    wake(Integer.MAX_VALUE);
  }

  private void recompute() {
    if (closed) {
      return;
    }
    int cc = containerConcurrency;
    int perPod = cc > 0 ? cc : UNLIMITED;
    Map<UpstreamTarget, PodTracker> next = new HashMap<>();
    List<PodTracker> sorted = new ArrayList<>(pods.size());
    for (UpstreamTarget pod : pods) {
      PodTracker t = trackers.get(pod);
      if (t == null) {
        t = new PodTracker(pod, perPod);
      } else {
        t.capacity(perPod);
      }
      next.put(pod, t);
      sorted.add(t);
    }
    sorted.sort(Comparator.comparing(t -> t.dest));
    trackers = next;
    List<PodTracker> assigned =
        cc > 0 ? Subsets.assignSlice(sorted, activatorIndex, activatorCount) : sorted;
    int capacity = capacity(cc, assigned.size(), sorted.size(), activatorCount);
    // Pods before capacity (Knative's order): a request let through by a larger capacity must
    // find the new pods.
    state =
        new State(
            cc, LoadBalancing.forContainerConcurrency(cc), List.copyOf(assigned), sorted.size());
    breaker.updateConcurrency(capacity);
    signals.incrementAndGet();
    wake(Integer.MAX_VALUE);
  }

  /**
   * Knative's {@code calculateCapacity} without the cluster-IP case: {@code cc × assigned}, or
   * unlimited with {@code cc = 0} (or past {@code 2^31-1}) as soon as there is a pod.
   */
  static int capacity(int containerConcurrency, int assigned, int pods, int activatorCount) {
    long capacity;
    if (assigned > 0) {
      capacity = (long) containerConcurrency * assigned;
    } else {
      capacity = (long) containerConcurrency * pods;
      if (capacity > 0) {
        capacity = Math.max(1, capacity / Math.max(1, activatorCount));
      }
    }
    if (pods > 0 && (containerConcurrency == 0 || capacity > UNLIMITED)) {
      capacity = UNLIMITED;
    }
    return (int) capacity;
  }

  private static void checkContainerConcurrency(int cc) {
    if (cc < 0) {
      throw new IllegalArgumentException("containerConcurrency: " + cc + " (expected: >= 0)");
    }
  }

  // ---------------------------------------------------------------- observations

  /**
   * The revision capacity: how many requests may be proxied at once through this activator; {@value
   * Integer#MAX_VALUE} means unlimited.
   */
  public int capacity() {
    return breaker.capacity();
  }

  /** Requests waiting for a slot (for the revision, or parked for a pod). */
  public int waiting() {
    return breaker.waiting() + parkedCount;
  }

  /** Requests proxied through this throttler right now. */
  public int executing() {
    return Math.max(0, breaker.executing() - parkedCount);
  }

  /** The healthy pods known. */
  public int pods() {
    return state.pods;
  }

  /** The pods this activator sends to (its slice of the healthy pods). */
  public int assignedPods() {
    return state.assigned.size();
  }

  /** The assigned pods, sorted as Knative sorts them; for tests and diagnostics. */
  public List<UpstreamTarget> assignedTargets() {
    List<UpstreamTarget> targets = new ArrayList<>();
    for (PodTracker t : state.assigned) {
      targets.add(t.target);
    }
    return targets;
  }

  /** The current containerConcurrency. */
  public int containerConcurrency() {
    return state.containerConcurrency;
  }

  /** Whether {@link #close()} was called. */
  public boolean isClosed() {
    return closed;
  }

  @Override
  public String toString() {
    return "RevisionThrottler{"
        + name
        + ", cc="
        + state.containerConcurrency
        + ", pods="
        + state.pods
        + ", assigned="
        + state.assigned.size()
        + ", "
        + breaker
        + ", parked="
        + parkedCount
        + '}';
  }

  // ---------------------------------------------------------------- parking

  /** Parks {@code t}, holding {@code permit}, unless something changed since {@code signal}. */
  private boolean park(Ticket t, Permit permit, long signal) {
    synchronized (parked) {
      if (signals.get() != signal) {
        return false;
      }
      t.held = permit;
      t.parked = true;
      parked.addLast(t);
      parkedCount = parked.size();
      return true;
    }
  }

  /** Takes {@code t} out of the parked list; the permit it held, or {@code null}. */
  private Permit unpark(Ticket t) {
    synchronized (parked) {
      if (!t.parked) {
        return null;
      }
      parked.remove(t);
      parkedCount = parked.size();
      t.parked = false;
      Permit p = t.held;
      t.held = null;
      return p;
    }
  }

  private void wake(int max) {
    for (int i = 0; i < max; i++) {
      Ticket t;
      Permit held;
      synchronized (parked) {
        t = parked.pollFirst();
        if (t == null) {
          return;
        }
        parkedCount = parked.size();
        t.parked = false;
        held = t.held;
        t.held = null;
      }
      t.resume(held);
    }
  }

  /**
   * One request's claim: the future {@link #acquire} returns, and the listener of its revision-slot
   * acquisition. Its state changes on the requester's loop, except the parked fields, which the
   * parked list's lock guards.
   */
  private final class Ticket extends DefaultPromise<Lease>
      implements GenericFutureListener<Future<Permit>> {

    private Future<Permit> pending;
    private Lease lease;

    // Guarded by `parked`.
    private Permit held;
    private boolean parked;

    Ticket(EventExecutor requester) {
      super(requester);
    }

    void start() {
      Future<Permit> f = breaker.acquire(executor());
      if (f.isDone()) {
        onPermit(f);
      } else {
        pending = f;
        f.addListener(this);
      }
    }

    @Override
    public void operationComplete(Future<Permit> f) {
      pending = null;
      onPermit(f);
    }

    private void onPermit(Future<Permit> f) {
      if (f.isSuccess()) {
        attempt(f.getNow());
      } else {
        tryFailure(f.cause());
      }
    }

    /** With a revision slot: reserve a pod slot, or park until one may be free. */
    private void attempt(Permit permit) {
      for (; ; ) {
        if (isDone()) { // cancelled meanwhile
          permit.release();
          return;
        }
        if (closed) {
          permit.release();
          tryFailure(CLOSED);
          return;
        }
        long signal = signals.get();
        State s = state;
        if (lease == null) {
          lease = new Lease(RevisionThrottler.this);
        }
        if (s.policy.pick(s.assigned, roundRobin, lease)) {
          lease.revisionPermit(permit);
          if (!trySuccess(lease)) {
            lease.release();
          }
          return;
        }
        if (park(this, permit, signal)) {
          return;
        }
      }
    }

    /** Woken (any thread): try again on the requester's loop. */
    void resume(Permit permit) {
      try {
        executor().execute(() -> attempt(permit));
      } catch (RejectedExecutionException e) { // the loop is shutting down
        permit.release();
        tryFailure(e);
      }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (!super.cancel(mayInterruptIfRunning)) {
        return false;
      }
      Future<Permit> f = pending;
      if (f != null) {
        pending = null;
        f.cancel(false); // withdraws from the breaker, or releases a slot granted meanwhile
      }
      Permit p = unpark(this);
      if (p != null) {
        p.release();
      }
      return true;
    }
  }
}
