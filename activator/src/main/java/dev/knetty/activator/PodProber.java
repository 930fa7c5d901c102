package dev.knetty.activator;

import dev.knetty.activator.endpoints.PodEndpoint;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.proxy.UpstreamTarget;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Which pods of each revision may take requests (Knative's {@code revisionWatcher.checkDests},
 * knative-dataplane.md §2.4): a pod counts once it answers the queue-proxy probe, whatever its
 * endpoint's ready flag says, so a starting pod is used as soon as it can serve (Knative's probe
 * optimisation), and a pod the source already calls ready is probed too (Knative's mesh mode {@code
 * auto}).
 *
 * <ul>
 *   <li>A new pod, a pod that went ready → not ready, and a pod a request could not connect to
 *       ({@link #podFailed}) are out of rotation until a probe succeeds. Terminating and vanished
 *       pods are dropped.
 *   <li>While a revision has pods that are not healthy, they are probed every {@code interval}
 *       (each probe with its own timeout; one pod's probe never cancels another's, serving#14303).
 *       When all are healthy probing stops; any change starts it again.
 *   <li>The listener hears the healthy set whenever it changes (compared as sets, serving#14347).
 *   <li>At most {@code maxConcurrent} probes run at once over all revisions; the others wait for
 *       their next tick, so nothing queues.
 * </ul>
 *
 * <p>There is no fallback to a cluster IP (Knative's {@code podsAddressable = false}, which can
 * stick for hours and make cold starts slow, serving#15477): pods are always addressed directly,
 * and a pod that fails is probed again every interval.
 *
 * <p>Confined to one event loop (the activator's control loop): call every method there.
 */
final class PodProber implements AutoCloseable {

  /** Hears the result, on the loop. */
  interface Listener {
    /** The healthy pods of {@code revision} changed (sorted by {@code ip:port}). */
    void healthyPodsChanged(RevisionKey revision, List<UpstreamTarget> healthy);

    /** {@code pod} left its revision's endpoints: its pooled connections may go. */
    void podRemoved(UpstreamTarget pod);
  }

  private static final Comparator<UpstreamTarget> BY_DEST =
      Comparator.comparing(UpstreamTarget::authority);

  private final EventLoop loop;
  private final ProbeClient client;
  private final long intervalNanos;
  private final int maxConcurrent;
  private final Listener listener;
  private final Counter successes;
  private final Counter failures;
  private final Map<RevisionKey, Pods> revisions = new HashMap<>();
  private int inFlight;
  private boolean closed;

  PodProber(
      EventLoop loop,
      ProbeClient client,
      Duration interval,
      int maxConcurrent,
      Listener listener,
      Counter successes,
      Counter failures) {
    this.loop = loop;
    this.client = client;
    this.intervalNanos = interval.toNanos();
    this.maxConcurrent = maxConcurrent;
    this.listener = listener;
    this.successes = successes;
    this.failures = failures;
  }

  /** The endpoints of {@code revision} changed (or are new). */
  void update(RevisionKey revision, List<PodEndpoint> endpoints) {
    if (closed) {
      return;
    }
    Pods rev = revisions.computeIfAbsent(revision, Pods::new);
    Map<UpstreamTarget, PodEndpoint> current = new LinkedHashMap<>();
    for (PodEndpoint e : endpoints) {
      if (!e.terminating()) {
        current.put(e.address(), e);
      }
    }
    for (Pod pod : new ArrayList<>(rev.pods.values())) {
      if (!current.containsKey(pod.target)) {
        rev.pods.remove(pod.target);
        client.forget(pod.target);
        listener.podRemoved(pod.target);
      }
    }
    for (PodEndpoint e : current.values()) {
      Pod pod = rev.pods.get(e.address());
      if (pod == null) {
        rev.pods.put(e.address(), new Pod(e.address(), e.ready()));
      } else {
        if (pod.ready && !e.ready()) {
          pod.unhealthy(); // ready -> not ready: out of rotation until a probe says otherwise
        }
        pod.ready = e.ready();
      }
    }
    check(rev);
  }

  /** A connection to {@code pod} failed: out of rotation, probe it again. */
  void podFailed(RevisionKey revision, UpstreamTarget pod) {
    Pods rev = revisions.get(revision);
    Pod p = rev == null ? null : rev.pods.get(pod);
    if (p == null || !p.healthy) {
      return;
    }
    p.unhealthy();
    check(rev);
  }

  /** {@code revision} is gone. */
  void remove(RevisionKey revision) {
    Pods rev = revisions.remove(revision);
    if (rev == null) {
      return;
    }
    rev.removed = true;
    if (rev.tick != null) {
      rev.tick.cancel(false);
    }
    for (Pod pod : rev.pods.values()) {
      client.forget(pod.target);
      listener.podRemoved(pod.target);
    }
  }

  /** Probes in flight; for tests. */
  int probesInFlight() {
    return inFlight;
  }

  /** Whether {@code revision} has pods still being probed (a tick pending); for tests. */
  boolean probing(RevisionKey revision) {
    Pods rev = revisions.get(revision);
    return rev != null && (rev.tick != null || rev.probing > 0);
  }

  @Override
  public void close() {
    closed = true;
    for (Pods rev : revisions.values()) {
      rev.removed = true;
      if (rev.tick != null) {
        rev.tick.cancel(false);
      }
    }
    revisions.clear();
    client.close();
  }

  private void check(Pods rev) {
    boolean unhealthy = false;
    for (Pod pod : rev.pods.values()) {
      if (!pod.healthy) {
        unhealthy = true;
        if (!pod.probing && inFlight < maxConcurrent) {
          probe(rev, pod);
        }
      }
    }
    publish(rev);
    if (unhealthy && rev.tick == null && !rev.removed) {
      rev.tick =
          loop.schedule(
              () -> {
                rev.tick = null;
                if (!rev.removed && !closed) {
                  check(rev);
                }
              },
              intervalNanos,
              TimeUnit.NANOSECONDS);
    }
  }

  private void probe(Pods rev, Pod pod) {
    int epoch = pod.epoch;
    pod.probing = true;
    rev.probing++;
    inFlight++;
    client
        .probe(pod.target)
        .addListener(
            f -> {
              inFlight--;
              rev.probing--;
              pod.probing = false;
              boolean healthy = f.isSuccess() && Boolean.TRUE.equals(f.getNow());
              (healthy ? successes : failures).increment();
              if (closed || rev.removed || rev.pods.get(pod.target) != pod) {
                return;
              }
              // A probe sent before the pod failed again says nothing about it now.
              if (healthy && !pod.healthy && pod.epoch == epoch) {
                pod.healthy = true;
                client.forget(pod.target); // no more probes for it: do not hold the connection
                publish(rev);
              }
            });
  }

  private void publish(Pods rev) {
    Set<UpstreamTarget> healthy = new HashSet<>();
    for (Pod pod : rev.pods.values()) {
      if (pod.healthy) {
        healthy.add(pod.target);
      }
    }
    if (healthy.equals(rev.published)) {
      return;
    }
    rev.published = healthy;
    List<UpstreamTarget> sorted = new ArrayList<>(healthy);
    sorted.sort(BY_DEST);
    listener.healthyPodsChanged(rev.key, sorted);
  }

  /** One revision's pods. */
  private static final class Pods {
    final RevisionKey key;
    final Map<UpstreamTarget, Pod> pods = new LinkedHashMap<>();
    Set<UpstreamTarget> published = Set.of();
    ScheduledFuture<?> tick;
    int probing;
    boolean removed;

    Pods(RevisionKey key) {
      this.key = key;
    }
  }

  /** One pod: what the source says and what the probes found. */
  private static final class Pod {
    final UpstreamTarget target;
    boolean ready;
    boolean healthy;
    boolean probing;
    int epoch;

    Pod(UpstreamTarget target, boolean ready) {
      this.target = target;
      this.ready = ready;
    }

    void unhealthy() {
      healthy = false;
      epoch++;
    }
  }
}
