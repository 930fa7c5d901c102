package dev.knetty.autoscaler.server;

import dev.knetty.autoscaler.Scaler;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.log.LogLimiter;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scaler of a standalone autoscaler, without Kubernetes: it <b>does not actuate</b>. It only
 * watches what arrives over KMP and logs (and, through the server, shows in {@code /revisions}) the
 * replicas Knative's KPA would set, so that {@code knetty autoscaler} can be pointed at live
 * traffic to see what the KPA would do.
 *
 * <ul>
 *   <li>{@link #readyPods}: the distinct queue-proxy pods (by pod name) that reported a stat for
 *       the revision within the ready window (a few seconds; queue-proxies report every second), to
 *       within a second: {@link #poll} forgets the others every second.
 *   <li>{@link #scale}: logs the replicas asked for and succeeds.
 *   <li>{@link #activatorInPath}: true while at least one activator is connected (the activator is
 *       then assumed to front every revision at zero, as it would in proxy mode).
 * </ul>
 *
 * <p>{@link #poll} (every second, on the server's scheduler) forgets pods that went quiet and tells
 * the ready-pod listeners about changed counts, as an informer would.
 */
final class AdvisoryScaler implements Scaler {

  private static final Logger LOG = LoggerFactory.getLogger(AdvisoryScaler.class);

  private final long readyWindowNanos;
  private final InstantSource clock;
  private final ConcurrentHashMap<RevisionKey, Pods> revisions = new ConcurrentHashMap<>();
  private final List<ReadyPodsListener> listeners = new CopyOnWriteArrayList<>();
  private final LogLimiter scaleLog = new LogLimiter(Duration.ofSeconds(1), 20);
  private volatile int activators;

  /** The pods of one revision: name to last report (epoch nanoseconds). */
  private static final class Pods {
    final ConcurrentHashMap<String, LastSeen> byName = new ConcurrentHashMap<>();
    int reportedCount; // what the listeners were last told; poll thread only
  }

  private static final class LastSeen {
    volatile long nanos;
  }

  AdvisoryScaler(Duration readyWindow, InstantSource clock) {
    this.readyWindowNanos = readyWindow.toNanos();
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** A queue-proxy pod reported for {@code key} at {@code nanos}. Cheap: called per stat. */
  void podReported(RevisionKey key, String podName, long nanos) {
    Pods pods = revisions.get(key);
    if (pods == null) {
      pods = revisions.computeIfAbsent(key, k -> new Pods());
    }
    LastSeen seen = pods.byName.get(podName);
    if (seen == null) {
      seen = pods.byName.computeIfAbsent(podName, n -> new LastSeen());
    }
    seen.nanos = nanos;
  }

  /** How many activators are connected now. */
  void activatorsConnected(int count) {
    activators = count;
  }

  /** Forgets a removed revision. */
  void forget(RevisionKey key) {
    revisions.remove(key);
  }

  /** Forgets pods not heard from within the window and reports changed counts. */
  void poll() {
    long now = nanos(clock.instant());
    for (Map.Entry<RevisionKey, Pods> e : revisions.entrySet()) {
      Pods pods = e.getValue();
      int count = 0;
      for (Iterator<LastSeen> it = pods.byName.values().iterator(); it.hasNext(); ) {
        if (fresh(it.next(), now)) {
          count++;
        } else {
          it.remove();
        }
      }
      if (count != pods.reportedCount) {
        pods.reportedCount = count;
        for (ReadyPodsListener l : listeners) {
          l.readyPodsChanged(e.getKey(), count);
        }
      }
      if (count == 0) {
        revisions.remove(e.getKey(), pods);
      }
    }
  }

  /**
   * The pods heard from within the window, as of the last {@link #poll} (at most a second old),
   * plus any that reported since: a map size, since the multiscaler asks for every revision on
   * every tick.
   */
  @Override
  public int readyPods(RevisionKey key) {
    Pods pods = revisions.get(key);
    return pods == null ? 0 : pods.byName.size();
  }

  @Override
  public CompletionStage<Void> scale(RevisionKey key, int replicas) {
    long held = scaleLog.tryAcquire();
    if (held >= 0) {
      LOG.info(
          "{}: the KPA would scale to {} replicas (advisory: nothing is changed){}",
          key,
          replicas,
          LogLimiter.suffix(held));
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Boolean> activatorInPath(RevisionKey key) {
    return CompletableFuture.completedFuture(activators > 0);
  }

  @Override
  public void addReadyPodsListener(ReadyPodsListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public void removeReadyPodsListener(ReadyPodsListener listener) {
    listeners.remove(listener);
  }

  private boolean fresh(LastSeen seen, long now) {
    return now - seen.nanos < readyWindowNanos;
  }

  static long nanos(Instant i) {
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }
}
