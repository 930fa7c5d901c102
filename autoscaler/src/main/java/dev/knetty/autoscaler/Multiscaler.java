package dev.knetty.autoscaler;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.RevisionScaling;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The autoscaler: one {@link RevisionDecider} and one KPA state per revision ({@code
 * multiscaler.go} and the KPA reconciler), evaluated every 2 s on a shared scheduler.
 *
 * <ul>
 *   <li>{@link #upsert} creates a revision's decider (desired scale -1, excess burst capacity from
 *       the initial scale) and its 2-second tick, or applies a changed spec.
 *   <li>{@link #record} feeds a stat; it is cheap and safe from any thread (event loops): a map
 *       lookup and a short per-revision critical section adding into the revision's sums of the
 *       current second (the buckets are updated once per second, see {@link
 *       RevisionDecider#record}); no allocation, no I/O. Stats of one revision arrive at the rate
 *       of its reporters (pods and activators, once a second each), so its lock is rarely
 *       contended, and nothing is shared between revisions. A stat with concurrency for a revision
 *       last decided at 0 pokes an immediate evaluation.
 *   <li>Each valid evaluation whose desired scale or sign of excess burst capacity changed runs the
 *       KPA rules ({@link PodAutoscaler}), which talk to the {@link Scaler}; changed outcomes go to
 *       the {@link DecisionListener}s.
 * </ul>
 *
 * <p>Threading: all evaluation runs on the given {@link ScheduledExecutorService} (never an event
 * loop), one task per revision and tick; each revision has its own lock, nothing locks all
 * revisions. Time comes from the given {@link InstantSource}; the scheduler's delays should follow
 * the same clock.
 */
public final class Multiscaler implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Multiscaler.class);

  /** {@code tickInterval}: how often each decider is evaluated. */
  static final long TICK_NANOS = Duration.ofSeconds(2).toNanos();

  /** Knative's {@code reenqeuePeriod}: retry after a failed scale or probe. */
  static final long RETRY_NANOS = Duration.ofSeconds(1).toNanos();

  /** At most one warning per revision and this interval. */
  private static final long WARN_INTERVAL_NANOS = Duration.ofSeconds(30).toNanos();

  private final Scaler scaler;
  private final ScheduledExecutorService executor;
  private final InstantSource clock;
  private final ConcurrentHashMap<RevisionKey, Revision> revisions = new ConcurrentHashMap<>();
  private final List<DecisionListener> listeners = new CopyOnWriteArrayList<>();
  private final Scaler.ReadyPodsListener readyPodsListener = this::readyPodsChanged;
  private final Object lifecycle = new Object();
  private final Counter droppedStats;
  private final Counter scaleFailures;
  private final Timer tickDuration;

  /**
   * @param scaler the platform that runs the pods
   * @param executor evaluates every revision; shared, not owned (not shut down by {@link #close})
   * @param clock the time of every decision
   * @param registry for {@code knetty.autoscaler.*} meters
   */
  public Multiscaler(
      Scaler scaler,
      ScheduledExecutorService executor,
      InstantSource clock,
      MeterRegistry registry) {
    this.scaler = Objects.requireNonNull(scaler, "scaler");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.droppedStats =
        Counter.builder("knetty.autoscaler.stats.dropped")
            .description("Stats for revisions the autoscaler does not know")
            .register(registry);
    this.scaleFailures =
        Counter.builder("knetty.autoscaler.scale.failures")
            .description("Failed requests to change a revision's replicas")
            .register(registry);
    this.tickDuration =
        Timer.builder("knetty.autoscaler.tick.duration")
            .description("Time of one revision's evaluation (tick or poke), KPA reconcile included")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(1_000))
            .maximumExpectedValue(Duration.ofMillis(100))
            .register(registry);
    Gauge.builder("knetty.autoscaler.revisions", revisions, ConcurrentHashMap::size)
        .description("Revisions being autoscaled")
        .register(registry);
    scaler.addReadyPodsListener(readyPodsListener);
  }

  /** Adds a listener for every revision's decisions. */
  public void addDecisionListener(DecisionListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Removes a listener. */
  public void removeDecisionListener(DecisionListener listener) {
    listeners.remove(listener);
  }

  /**
   * Starts autoscaling {@code key} with {@code scaling}, or applies a changed spec to a running
   * revision (windows are resized, state is kept).
   */
  public void upsert(RevisionKey key, RevisionScaling scaling) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(scaling, "scaling");
    synchronized (lifecycle) {
      long now = now();
      Revision existing = revisions.get(key);
      if (existing != null) {
        synchronized (existing) {
          existing.scaling = scaling;
          existing.decider.update(scaling.decider(), now);
          existing.reconcile(now);
        }
        return;
      }
      Revision rev = new Revision(key, scaling, now, scaler.readyPods(key));
      int adopted = scaler.adoptedReplicas(key);
      if (adopted >= 0) {
        rev.pa.resume(adopted);
      }
      revisions.put(key, rev);
      synchronized (rev) {
        rev.ticker =
            executor.scheduleAtFixedRate(rev::tick, TICK_NANOS, TICK_NANOS, TimeUnit.NANOSECONDS);
        rev.reconcile(now);
      }
    }
  }

  /** Stops autoscaling {@code key}; later stats for it are dropped. */
  public boolean remove(RevisionKey key) {
    synchronized (lifecycle) {
      Revision rev = revisions.remove(key);
      if (rev == null) {
        return false;
      }
      rev.close();
      return true;
    }
  }

  /** Whether {@code key} is being autoscaled. */
  public boolean contains(RevisionKey key) {
    return revisions.containsKey(key);
  }

  /**
   * Records a stat received at {@code receiveNanos} (epoch nanoseconds). The proxied parts were
   * already counted by the activator that proxied them and are subtracted; values of the same
   * second add up. Safe from any thread; never blocks on I/O.
   *
   * @return false when {@code key} is not autoscaled (the stat is dropped and counted)
   */
  public boolean record(
      RevisionKey key,
      long receiveNanos,
      double concurrency,
      double proxiedConcurrency,
      double rps,
      double proxiedRps) {
    Revision rev = revisions.get(key);
    if (rev == null) {
      droppedStats.increment();
      return false;
    }
    boolean poke;
    synchronized (rev) {
      rev.decider.record(receiveNanos, concurrency - proxiedConcurrency, rps - proxiedRps);
      // Poke: a revision at zero sees traffic, decide now rather than at the next tick.
      poke = rev.statusDesired == 0 && concurrency != 0;
    }
    if (poke && rev.pokePending.compareAndSet(false, true)) {
      execute(rev::poke);
    }
    return true;
  }

  /** {@link #record} at the clock's current time. */
  public boolean record(
      RevisionKey key,
      double concurrency,
      double proxiedConcurrency,
      double rps,
      double proxiedRps) {
    return record(key, now(), concurrency, proxiedConcurrency, rps, proxiedRps);
  }

  /** The state of {@code key}. */
  public Optional<RevisionSnapshot> snapshot(RevisionKey key) {
    Revision rev = revisions.get(key);
    return rev == null ? Optional.empty() : Optional.of(rev.snapshot());
  }

  /** The state of every revision, by key. */
  public List<RevisionSnapshot> snapshots() {
    List<RevisionSnapshot> all = new ArrayList<>(revisions.size());
    for (Revision rev : revisions.values()) {
      all.add(rev.snapshot());
    }
    all.sort(Comparator.comparing(RevisionSnapshot::key));
    return all;
  }

  /**
   * Evaluates every revision now on the calling thread, as their ticks would (benchmarks and tests;
   * the scheduler keeps ticking as well).
   */
  public void tickAll() {
    for (Revision rev : revisions.values()) {
      rev.tick();
    }
  }

  /** Stops every revision's tick and detaches from the scaler; the executor stays up. */
  @Override
  public void close() {
    scaler.removeReadyPodsListener(readyPodsListener);
    synchronized (lifecycle) {
      for (RevisionKey key : List.copyOf(revisions.keySet())) {
        remove(key);
      }
    }
  }

  private void readyPodsChanged(RevisionKey key, int readyPods) {
    Revision rev = revisions.get(key);
    if (rev != null) {
      // The KPA reconciles on pod changes; the decider only looks at its next tick.
      execute(rev::reconcileNow);
    }
  }

  /** {@code sameSign}: 0 counts as non-negative. */
  static boolean sameSign(int a, int b) {
    return ((a & Integer.MIN_VALUE) ^ (b & Integer.MIN_VALUE)) == 0;
  }

  private long now() {
    Instant i = clock.instant();
    return i.getEpochSecond() * TimedBuckets.NANOS_PER_SECOND + i.getNano();
  }

  private void execute(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      LOG.debug("Scheduler shut down, dropping a task", e);
    }
  }

  /** One revision: its decider, its KPA state and its timers; guarded by its own monitor. */
  private final class Revision implements PodAutoscaler.Actions {
    final RevisionKey key;
    final RevisionDecider decider;
    final PodAutoscaler pa;
    final AtomicBoolean pokePending = new AtomicBoolean();
    RevisionScaling scaling;

    /** The decider's status: {@code DesiredScale} and {@code ExcessBurstCapacity}. */
    int statusDesired = PodAutoscaler.SCALE_UNKNOWN;

    int statusEbc;
    int readyPods;
    ScheduledFuture<?> ticker;
    ScheduledFuture<?> requeue;
    long requeueAt;
    long reconcileNow;
    boolean probing;
    boolean closed;
    Decision lastDecision;
    long lastWarn = Long.MIN_VALUE;

    Revision(RevisionKey key, RevisionScaling scaling, long now, int readyPods) {
      this.key = key;
      this.scaling = scaling;
      this.readyPods = Math.max(readyPods, 0);
      this.decider = new RevisionDecider(scaling.decider(), now, readyPods);
      this.pa = new PodAutoscaler(now);
      this.statusEbc = RevisionDecider.initialExcessBurstCapacity(scaling.decider());
    }

    /** One tick ({@code tickScaler}). */
    void tick() {
      long start = System.nanoTime();
      try {
        long now = now();
        synchronized (this) {
          if (closed) {
            return;
          }
          int ready = scaler.readyPods(key);
          if (ready >= 0) {
            readyPods = ready;
          }
          if (!decider.scale(now, ready)) {
            return; // invalid: no data, or pods not countable; nothing changes
          }
          int desired = decider.desiredScale();
          int ebc = decider.excessBurstCapacity();
          boolean changed = desired != statusDesired || !sameSign(ebc, statusEbc);
          statusDesired = desired;
          statusEbc = ebc;
          if (changed) {
            reconcile(now);
          }
        }
      } catch (RuntimeException e) {
        warn("evaluation failed", e);
      } finally {
        tickDuration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      }
    }

    void poke() {
      pokePending.set(false);
      tick();
    }

    /** A requeue fired: it is no longer pending, so the reconcile may set the next one. */
    void requeued() {
      synchronized (this) {
        requeue = null;
      }
      reconcileNow();
    }

    void reconcileNow() {
      try {
        long now = now();
        synchronized (this) {
          if (!closed) {
            reconcile(now);
          }
        }
      } catch (RuntimeException e) {
        warn("reconcile failed", e);
      }
    }

    /** One KPA reconcile; holds the lock. */
    void reconcile(long now) {
      int ready = scaler.readyPods(key);
      if (ready < 0) {
        reconcileNow = now;
        requeueAfter(RETRY_NANOS); // Knative retries a failed pod count with back-off
        return;
      }
      readyPods = ready;
      reconcileNow = now;
      boolean wasInitialized = pa.scaleTargetInitialized();
      pa.reconcile(now, scaling, statusDesired, statusEbc, ready, this);
      if (!wasInitialized && pa.scaleTargetInitialized()) {
        // In Knative this status change (ScaleTargetInitialized) is a PA update, which is
        // reconciled again: the initial scale stops being a floor without waiting for the
        // decider's desired scale to change.
        requeueAfter(0);
      }
      Decision d =
          new Decision(key, statusDesired, pa.want(), statusEbc, pa.mode(), pa.activators(), ready);
      if (lastDecision == null || lastDecision.differsFrom(d)) {
        lastDecision = d;
        for (DecisionListener l : listeners) {
          try {
            l.onDecision(d);
          } catch (RuntimeException e) {
            warn("decision listener failed", e);
          }
        }
      }
    }

    @Override
    public void scale(int replicas) {
      scaler
          .scale(key, replicas)
          .whenCompleteAsync(
              (ok, err) -> {
                if (err != null) {
                  scaleFailed(replicas, err);
                }
              },
              executor);
    }

    private void scaleFailed(int replicas, Throwable err) {
      scaleFailures.increment();
      synchronized (this) {
        if (closed) {
          return;
        }
        warn("scaling to " + replicas + " failed", err);
        pa.scaleFailed(replicas);
        reconcileNow = now();
        requeueAfter(RETRY_NANOS);
      }
    }

    @Override
    public void requeueAfter(long nanos) {
      long at = reconcileNow + Math.max(nanos, 0);
      // As a delaying work queue: an earlier pending requeue wins.
      if (requeue != null && !requeue.isDone() && requeueAt <= at) {
        return;
      }
      if (requeue != null) {
        requeue.cancel(false);
      }
      requeueAt = at;
      try {
        requeue = executor.schedule(this::requeued, Math.max(nanos, 0), TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        LOG.debug("Scheduler shut down, dropping a requeue", e);
      }
    }

    @Override
    public void probeActivator() {
      if (probing) {
        return;
      }
      probing = true;
      scaler
          .activatorInPath(key)
          .whenCompleteAsync(
              (inPath, err) -> probed(err == null && Boolean.TRUE.equals(inPath)), executor);
    }

    private void probed(boolean inPath) {
      long now = now();
      synchronized (this) {
        probing = false;
        if (closed) {
          return;
        }
        pa.activatorConfirmed(inPath);
        if (inPath) {
          reconcile(now);
        } else {
          reconcileNow = now;
          requeueAfter(RETRY_NANOS);
        }
      }
    }

    synchronized RevisionSnapshot snapshot() {
      return new RevisionSnapshot(
          key,
          decider.valid(),
          decider.observedStable(),
          decider.observedPanic(),
          statusDesired,
          statusEbc,
          decider.panicMode(),
          pa.want(),
          pa.mode(),
          readyPods,
          pa.activators(),
          activity(pa.active()));
    }

    synchronized void close() {
      closed = true;
      if (ticker != null) {
        ticker.cancel(false);
      }
      if (requeue != null) {
        requeue.cancel(false);
      }
    }

    private void warn(String what, Throwable err) {
      long now = now();
      if (lastWarn == Long.MIN_VALUE || now - lastWarn >= WARN_INTERVAL_NANOS) {
        lastWarn = now;
        LOG.warn("{}: {}: {}", key, what, err.toString());
      }
    }
  }

  private static String activity(PodAutoscaler.Active a) {
    switch (a) {
      case ACTIVE:
        return "Active";
      case INACTIVE:
        return "Inactive";
      case ACTIVATING:
      default:
        return "Activating";
    }
  }
}
