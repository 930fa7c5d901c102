package dev.knetty.activator;

import dev.knetty.activator.endpoints.EndpointSource;
import dev.knetty.activator.endpoints.RevisionEndpoints;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.kmp.Decision;
import dev.knetty.common.kmp.Decisions;
import dev.knetty.common.proxy.UpstreamTarget;
import io.netty.channel.EventLoop;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The activator's control plane: the revisions it serves, fed by the endpoint source, the pod
 * prober and the autoscaler's decisions. Every change runs on one event loop (the control loop), so
 * the per-revision state needs no locks; the request path only reads {@link #get}.
 */
final class Revisions implements EndpointSource.Listener, PodProber.Listener {

  private static final Logger LOG = LoggerFactory.getLogger(Revisions.class);

  private final ActivatorConfig config;
  private final EventLoop control;
  private final ActivatorMetrics metrics;
  private final Consumer<UpstreamTarget> closeUpstream;
  private final Map<RevisionKey, RevisionEntry> entries = new ConcurrentHashMap<>();

  // Control loop only.
  private final Map<RevisionKey, Decision> decisions = new HashMap<>();
  private PodProber prober;
  private boolean closed;

  /**
   * @param closeUpstream closes the pooled connections to a pod that left its revision
   */
  Revisions(
      ActivatorConfig config,
      EventLoop control,
      ActivatorMetrics metrics,
      Consumer<UpstreamTarget> closeUpstream) {
    this.config = config;
    this.control = control;
    this.metrics = metrics;
    this.closeUpstream = closeUpstream;
  }

  /** The prober, whose listener this is; set before any update arrives. */
  void prober(PodProber value) {
    prober = value;
  }

  /** The revision, or {@code null}. Any thread. */
  RevisionEntry get(RevisionKey key) {
    return entries.get(key);
  }

  /** The revisions known now. Any thread. */
  Set<RevisionKey> keys() {
    return Set.copyOf(entries.keySet());
  }

  int size() {
    return entries.size();
  }

  // ---------------------------------------------------------------- inputs, any thread

  @Override
  public void upsert(RevisionEndpoints revision) {
    onControl(() -> applyUpsert(revision));
  }

  @Override
  public void remove(RevisionKey revision) {
    onControl(() -> applyRemove(revision));
  }

  /** The autoscaler's decisions (on the KMP client's loop). */
  void decisions(Decisions decisions) {
    onControl(() -> applyDecisions(decisions));
  }

  /**
   * A request could not connect to {@code pod}. Failures of one revision are coalesced into one
   * control-loop task, so a burst of them queues nothing.
   */
  void podFailed(RevisionEntry rev, UpstreamTarget pod) {
    rev.failedPods.add(pod);
    if (rev.failuresQueued.compareAndSet(false, true)) {
      onControl(
          () -> {
            rev.failuresQueued.set(false);
            for (UpstreamTarget p : List.copyOf(rev.failedPods)) {
              rev.failedPods.remove(p);
              if (entries.get(rev.key) == rev) {
                prober.podFailed(rev.key, p);
              }
            }
          });
    }
  }

  // ---------------------------------------------------------------- prober callbacks, control loop

  @Override
  public void healthyPodsChanged(RevisionKey revision, List<UpstreamTarget> healthy) {
    RevisionEntry rev = entries.get(revision);
    if (rev != null) {
      rev.throttler.updatePods(healthy);
      LOG.debug(
          "revision {}: {} healthy pods, capacity {}",
          revision,
          healthy.size(),
          rev.throttler.capacity());
    }
  }

  @Override
  public void podRemoved(UpstreamTarget pod) {
    closeUpstream.accept(pod);
  }

  // ---------------------------------------------------------------- control loop

  private void applyUpsert(RevisionEndpoints r) {
    if (closed) {
      return;
    }
    RevisionKey key = r.revision();
    RevisionEntry rev = entries.get(key);
    if (rev == null) {
      rev = new RevisionEntry(key, r.settings(), config);
      Decision decision = decisions.get(key);
      if (decision != null) {
        rev.decision(decision);
      }
      rev.meters = metrics.register(rev);
      entries.put(key, rev);
      LOG.info(
          "revision {} added: containerConcurrency {}, timeout {}s, {} endpoints",
          key,
          r.settings().containerConcurrency(),
          r.settings().timeoutSeconds(),
          r.endpoints().size());
    } else {
      rev.settings(r.settings(), config);
    }
    rev.sourceSubset(r.activatorIndex(), r.activatorCount());
    prober.update(key, r.endpoints());
  }

  private void applyRemove(RevisionKey key) {
    RevisionEntry rev = entries.remove(key);
    if (rev == null) {
      return;
    }
    prober.remove(key);
    rev.throttler.close(); // its waiting requests get 404 now rather than a timeout later
    metrics.remove(rev.meters);
    LOG.info("revision {} removed", key);
  }

  private void applyDecisions(Decisions d) {
    if (closed) {
      return;
    }
    for (Decision decision : d.decisions()) {
      decisions.put(decision.revision(), decision);
      RevisionEntry rev = entries.get(decision.revision());
      if (rev != null) {
        rev.decision(decision);
      }
    }
    for (RevisionKey key : d.removed()) {
      decisions.remove(key);
      RevisionEntry rev = entries.get(key);
      if (rev != null) {
        rev.decision(null);
      }
    }
  }

  /** Stops probing and fails every waiting request. On the control loop. */
  void close() {
    closed = true;
    prober.close();
    for (RevisionEntry rev : entries.values()) {
      rev.throttler.close();
      metrics.remove(rev.meters);
    }
    entries.clear();
  }

  private void onControl(Runnable task) {
    try {
      control.execute(task);
    } catch (RejectedExecutionException e) {
      // The event loops are shutting down: nothing left to update.
    }
  }
}
