package dev.knetty.common.breaker;

import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Knative's queue-proxy / activator breaker ({@code pkg/queue/breaker.go}; knative-dataplane.md
 * §1.4), non-blocking: a concurrency limit with a bounded queue in front of it.
 *
 * <ul>
 *   <li>{@link #acquire(EventExecutor)} is Knative's {@code Maybe}: a request is admitted while
 *       fewer than {@link BreakerConfig#totalSlots()} requests are inside the breaker (waiting or
 *       executing), otherwise it fails at once with {@link QueueFullException}. An admitted request
 *       gets a {@link Permit} when fewer than {@link #capacity()} permits are held.
 *   <li>{@link #tryReserve()} is Knative's {@code Reserve}: a permit now or nothing, never queued.
 *   <li>{@link #updateConcurrency(int)} is Knative's {@code UpdateConcurrency}: the capacity may
 *       change at any time, also below the number of permits held; releases then wake nobody until
 *       fewer than {@code capacity} permits are held.
 *   <li>{@link #inFlight()} is Knative's {@code InFlight}: requests inside the breaker, waiting or
 *       executing.
 * </ul>
 *
 * <p>Where it differs from Knative, deliberately: waiters are served <b>first come, first
 * served</b> (Knative wakes an arbitrary goroutine), which gives better tail latency; a waiter's
 * permit is handed over on the waiter's own executor instead of blocking a goroutine. Waiters are
 * strictly FIFO among themselves; a request arriving at the instant a slot frees may still take it
 * ahead of the oldest waiter (the lock-free fast path checks the queue without locking it), as any
 * request can in Knative.
 *
 * <p>Thread-safe; no method blocks. The uncontended path (a free slot and nobody waiting) is two
 * compare-and-set operations and two small allocations (permit and completed future); the queue is
 * touched, under a short lock, only when someone waits.
 */
public final class Breaker {

  private static final int CAPACITY_SHIFT = 32;
  private static final long EXECUTING_MASK = 0xFFFF_FFFFL;

  private final BreakerConfig config;
  private final long totalSlots;

  /** Knative's pending count: requests inside the breaker, waiting or holding a permit. */
  private final AtomicLong pending = new AtomicLong();

  /**
   * Capacity (high 32 bits) and permits held (low 32 bits) in one word, as Knative's semaphore
   * packs them, so a grant checks and takes a slot in one compare-and-set. Both are at most {@code
   * 2^31-1}, so neither spills into the other or the sign bit.
   */
  private final AtomicLong state;

  /** Guards the waiter list ({@link #head}, {@link #tail}, {@link Waiter#queued}). */
  private final ReentrantLock lock = new ReentrantLock();

  private Waiter head;
  private Waiter tail;

  /**
   * The number of queued waiters, written under {@link #lock} and read without it. A releaser frees
   * a slot then reads this; a new waiter publishes this then tries to take a slot. Both are
   * sequentially consistent, so at least one of them sees the other and the waiter is never
   * forgotten next to a free slot.
   */
  private volatile int waiting;

  /** A breaker with the given parameters. */
  public Breaker(BreakerConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    this.totalSlots = config.totalSlots();
    this.state = new AtomicLong(pack(config.initialCapacity(), 0));
  }

  /** The parameters this breaker was built with. */
  public BreakerConfig config() {
    return config;
  }

  /**
   * Asks for a permit on behalf of a request whose work runs on {@code requester} (its channel's
   * event loop).
   *
   * <p>The returned future is:
   *
   * <ul>
   *   <li>already failed with {@link QueueFullException} if {@link BreakerConfig#totalSlots()}
   *       requests are inside the breaker;
   *   <li>already succeeded with a {@link Permit} if a slot is free and nobody waits;
   *   <li>otherwise pending; it succeeds later <b>on {@code requester}</b> (never inline in the
   *       thread that freed the slot), in arrival order among waiters.
   * </ul>
   *
   * <p>{@link Future#cancel(boolean) Cancel} the future when the request gives up (client gone,
   * timeout): a waiting request leaves the queue and its place in the pending count; a permit
   * granted but not yet handed over is released. {@code cancel} returns {@code false} once the
   * future has succeeded: the permit then belongs to whoever received it, who must release it.
   */
  public Future<Permit> acquire(EventExecutor requester) {
    Objects.requireNonNull(requester, "requester");
    if (!tryAcquirePending()) {
      return requester.newFailedFuture(new QueueFullException());
    }
    if (waiting == 0 && tryAcquireSlot()) {
      return requester.newSucceededFuture(new Permit(this));
    }
    Waiter waiter = new Waiter(this, requester);
    Waiter granted;
    lock.lock();
    try {
      waiter.queued = true;
      if (tail == null) {
        head = waiter;
      } else {
        tail.next = waiter;
        waiter.prev = tail;
      }
      tail = waiter;
      waiting++;
      granted = grantLocked();
    } finally {
      lock.unlock();
    }
    handOver(granted);
    return waiter;
  }

  /**
   * Knative's {@code Reserve}: a permit if the breaker is not full and a slot is free right now,
   * else {@code null}. Never queues. To keep waiters first come, first served it also fails while
   * requests wait (which in Knative implies no free slot anyway).
   */
  public Permit tryReserve() {
    if (!tryAcquirePending()) {
      return null;
    }
    if (waiting == 0 && tryAcquireSlot()) {
      return new Permit(this);
    }
    pending.decrementAndGet();
    return null;
  }

  /**
   * Sets the capacity: how many permits may be held at once. A larger capacity hands slots to up to
   * {@code size - old} waiters at once. A smaller one takes effect as permits are released: nobody
   * is woken until fewer than {@code size} permits are held. Knative does not bound the capacity by
   * {@link BreakerConfig#maxConcurrency()}; neither does this.
   *
   * @throws IllegalArgumentException if {@code size} is negative
   */
  public void updateConcurrency(int size) {
    if (size < 0) {
      throw new IllegalArgumentException("concurrency: " + size + " (expected: >= 0)");
    }
    for (; ; ) {
      long s = state.get();
      int old = capacity(s);
      if (old == size) {
        return;
      }
      if (state.compareAndSet(s, pack(size, executing(s)))) {
        if (size > old && waiting != 0) {
          drain();
        }
        return;
      }
    }
  }

  /** The current capacity (Knative's {@code Capacity}). */
  public int capacity() {
    return capacity(state.get());
  }

  /**
   * Requests inside the breaker, waiting or holding a permit (Knative's {@code InFlight}; the
   * queue-proxy's {@code kn.serving.queue.depth}). A {@code long}: it may exceed {@code 2^31-1}.
   */
  public long inFlight() {
    return pending.get();
  }

  /** Permits held: requests executing, plus grants not yet handed to their requester. */
  public int executing() {
    return executing(state.get());
  }

  /** Requests queued for a permit. */
  public int waiting() {
    return waiting;
  }

  @Override
  public String toString() {
    long s = state.get();
    return "Breaker{capacity="
        + capacity(s)
        + ", executing="
        + executing(s)
        + ", waiting="
        + waiting
        + ", inFlight="
        + pending.get()
        + ", totalSlots="
        + totalSlots
        + '}';
  }

  /** Called once per permit, by {@link Permit#release()}. */
  void releaseSlot() {
    for (; ; ) {
      long s = state.get();
      if (executing(s) == 0) {
        // Permits release at most once, so this is a bug in this class.
        throw new IllegalStateException("breaker released more permits than it granted: " + this);
      }
      if (state.compareAndSet(s, s - 1)) {
        break;
      }
    }
    pending.decrementAndGet();
    if (waiting != 0) {
      drain();
    }
  }

  /** Knative's {@code tryAcquirePending}: take a place unless the breaker is full. */
  private boolean tryAcquirePending() {
    for (; ; ) {
      long cur = pending.get();
      if (cur >= totalSlots) {
        return false;
      }
      if (pending.compareAndSet(cur, cur + 1)) {
        return true;
      }
    }
  }

  /** Knative's semaphore {@code tryAcquire}: take a slot if fewer than capacity are held. */
  private boolean tryAcquireSlot() {
    for (; ; ) {
      long s = state.get();
      if (executing(s) >= capacity(s)) {
        return false;
      }
      if (state.compareAndSet(s, s + 1)) {
        return true;
      }
    }
  }

  private void drain() {
    Waiter granted;
    lock.lock();
    try {
      granted = grantLocked();
    } finally {
      lock.unlock();
    }
    handOver(granted);
  }

  /**
   * Gives free slots to waiters from the head of the queue. Returns them as a chain linked through
   * {@link Waiter#next}, to be handed over after the lock is released.
   */
  private Waiter grantLocked() {
    Waiter first = null;
    Waiter last = null;
    while (head != null && tryAcquireSlot()) {
      Waiter w = head;
      unlinkLocked(w);
      if (first == null) {
        first = w;
      } else {
        last.next = w;
      }
      last = w;
    }
    return first;
  }

  private void unlinkLocked(Waiter w) {
    if (w.prev == null) {
      head = w.next;
    } else {
      w.prev.next = w.next;
    }
    if (w.next == null) {
      tail = w.prev;
    } else {
      w.next.prev = w.prev;
    }
    w.prev = null;
    w.next = null;
    w.queued = false;
    waiting--;
  }

  private void handOver(Waiter granted) {
    while (granted != null) {
      Waiter next = granted.next;
      granted.next = null;
      granted.grant(new Permit(this));
      granted = next;
    }
  }

  /** Takes a cancelled waiter out of the queue, if it is still there. */
  private void withdraw(Waiter w) {
    lock.lock();
    try {
      if (!w.queued) {
        return;
      }
      unlinkLocked(w);
    } finally {
      lock.unlock();
    }
    pending.decrementAndGet();
  }

  private static long pack(int capacity, int executing) {
    return ((long) capacity << CAPACITY_SHIFT) | executing;
  }

  private static int capacity(long state) {
    return (int) (state >>> CAPACITY_SHIFT);
  }

  private static int executing(long state) {
    return (int) (state & EXECUTING_MASK);
  }

  /**
   * A queued request: the future {@link #acquire} returned, a node of the waiter list, and the task
   * that completes the future on the requester's executor.
   */
  private static final class Waiter extends DefaultPromise<Permit> implements Runnable {

    private final Breaker breaker;

    // Guarded by breaker.lock while queued; `next` then links the granted chain of one hand-over.
    private Waiter prev;
    private Waiter next;
    private boolean queued;

    // Written before the hand-over task is submitted; the executor's queue publishes it.
    private Permit permit;

    Waiter(Breaker breaker, EventExecutor requester) {
      super(requester);
      this.breaker = breaker;
    }

    void grant(Permit permit) {
      this.permit = permit;
      try {
        executor().execute(this);
      } catch (RejectedExecutionException e) {
        // The requester's event loop is shutting down: nobody can use the permit.
        permit.release();
        tryFailure(e);
      }
    }

    /** Completes the future on the requester's executor; a cancellation won if this fails. */
    @Override
    public void run() {
      if (!trySuccess(permit)) {
        permit.release();
      }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      breaker.withdraw(this);
      return super.cancel(mayInterruptIfRunning);
    }
  }
}
