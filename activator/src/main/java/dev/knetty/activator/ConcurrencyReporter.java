package dev.knetty.activator;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.kmp.Stat;
import dev.knetty.common.kmp.StatBatch;
import dev.knetty.common.stats.RequestStats;
import dev.knetty.common.stats.RequestStatsReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * What the activator tells the autoscaler, exactly Knative's {@code ConcurrencyReporter} ({@code
 * pkg/activator/handler/concurrency_reporter.go}; knative-dataplane.md §2.7):
 *
 * <ul>
 *   <li>Per revision a {@link RequestStats}, fed from the moment a request is placed until it ends,
 *       so requests waiting for capacity count as concurrency.
 *   <li>The first request of a revision without an entry creates it (with {@code firstRequest = 1})
 *       and sends <b>at once</b> {@code {concurrency 1, count 1}}: the signal that scales a
 *       revision from zero, without waiting for the tick.
 *   <li>Every tick sends, per revision, {@code max(average - firstRequest, 0)} and {@code count -
 *       firstRequest}, then zeroes {@code firstRequest}; proxied fields are 0 and the count is the
 *       tick's count (already a rate at 1 s). An entry whose average was 0 is deleted unless a
 *       request still holds it, so a later request sends the immediate stat again.
 * </ul>
 *
 * <p>Thread-safe: {@link #requestIn} and {@link #requestOut} run on any event loop; {@link #report}
 * on one thread at a time.
 */
final class ConcurrencyReporter {

  private final String podName;
  private final Consumer<StatBatch> sink;
  private final LongSupplier nanoClock;
  private final LongSupplier millisClock;
  private final Runnable onImmediate;
  private final Map<RevisionKey, Entry> entries = new ConcurrentHashMap<>();

  /**
   * @param podName this activator's pod name, in every stat
   * @param sink where batches go (the KMP client; never blocks)
   * @param nanoClock the monotonic clock of the request stats
   * @param millisClock the wall clock of the stats' timestamps
   * @param onImmediate called after each immediate (scale-from-zero) stat
   */
  ConcurrencyReporter(
      String podName,
      Consumer<StatBatch> sink,
      LongSupplier nanoClock,
      LongSupplier millisClock,
      Runnable onImmediate) {
    this.podName = podName;
    this.sink = sink;
    this.nanoClock = nanoClock;
    this.millisClock = millisClock;
    this.onImmediate = onImmediate;
  }

  /** A request for {@code revision} arrived; pass the result to {@link #requestOut}. */
  Entry requestIn(RevisionKey revision) {
    long now = nanoClock.getAsLong();
    Entry e = entries.get(revision);
    if (e == null || !e.acquire()) {
      e = createOrJoin(revision, now);
    }
    e.stats.handleEvent(RequestStats.Event.REQ_IN, now);
    return e;
  }

  /** The request that {@code entry} was handed out for ended. */
  void requestOut(Entry entry) {
    entry.stats.handleEvent(RequestStats.Event.REQ_OUT, nanoClock.getAsLong());
    entry.refs.decrementAndGet();
  }

  private Entry createOrJoin(RevisionKey revision, long now) {
    for (; ; ) {
      Entry created = new Entry(revision, now);
      Entry e = entries.compute(revision, (k, old) -> old == null || old.dead() ? created : old);
      if (e == created) {
        sink.accept(
            new StatBatch(
                List.of(new Stat(revision, podName, millisClock.getAsLong(), 1, 0, 1, 0, 0))));
        onImmediate.run();
        return created;
      }
      if (e.acquire()) {
        return e;
      }
      // Deleted by a tick in between: try again.
    }
  }

  /** A reporting tick: one batch with a stat per revision (nothing if there is none). */
  void report() {
    long now = nanoClock.getAsLong();
    long timestamp = millisClock.getAsLong();
    List<Stat> stats = new ArrayList<>(entries.size());
    for (Entry e : entries.values()) {
      RequestStatsReport r = e.stats.report(now);
      double first = e.firstRequest;
      e.firstRequest = 0;
      if (r.averageConcurrency() == 0 && e.refs.compareAndSet(0, Entry.DEAD)) {
        entries.remove(e.revision, e);
      }
      stats.add(
          new Stat(
              e.revision,
              podName,
              timestamp,
              Math.max(r.averageConcurrency() - first, 0),
              0,
              Math.max(r.requestCount() - first, 0),
              0,
              0));
    }
    if (!stats.isEmpty()) {
      sink.accept(new StatBatch(stats));
    }
  }

  /** Revisions with an entry; for tests. */
  int revisions() {
    return entries.size();
  }

  /** One revision's stats and the requests holding them. */
  static final class Entry {
    private static final int DEAD = -1;

    final RevisionKey revision;
    final RequestStats stats;
    // Only the reporting thread reads and writes it after construction.
    double firstRequest = 1;
    // Requests in progress (the creating one from the start); DEAD once a tick deleted the entry.
    final AtomicInteger refs = new AtomicInteger(1);

    Entry(RevisionKey revision, long nowNanos) {
      this.revision = revision;
      this.stats = new RequestStats(nowNanos);
    }

    boolean acquire() {
      for (; ; ) {
        int r = refs.get();
        if (r == DEAD) {
          return false;
        }
        if (refs.compareAndSet(r, r + 1)) {
          return true;
        }
      }
    }

    boolean dead() {
      return refs.get() == DEAD;
    }
  }
}
