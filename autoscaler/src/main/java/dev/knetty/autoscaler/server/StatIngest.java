package dev.knetty.autoscaler.server;

import dev.knetty.autoscaler.Multiscaler;
import dev.knetty.autoscaler.server.ServerMetrics.RejectReason;
import dev.knetty.common.kmp.CloseReason;
import dev.knetty.common.kmp.KmpPeer;
import dev.knetty.common.kmp.KmpServerListener;
import dev.knetty.common.kmp.Role;
import dev.knetty.common.kmp.Stat;
import dev.knetty.common.kmp.StatBatch;
import dev.knetty.common.log.LogLimiter;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the KMP server's event loops do with each connection and batch: stamp the batch with the
 * receive time (Knative stamps activator stats with the second they arrive; its scraper uses the
 * autoscaler's clock for queue-proxy stats too) and hand every stat to {@link Multiscaler#record},
 * which only adds into the revision's current second under the revision's own lock. No aggregation
 * or decision happens here: the multiscaler evaluates on its scheduler (a stat that wakes a
 * revision at zero queues an evaluation there).
 */
final class StatIngest implements KmpServerListener {

  private static final Logger LOG = LoggerFactory.getLogger(StatIngest.class);

  private final Multiscaler multiscaler;
  private final DecisionPusher pusher;
  private final AdvisoryScaler advisory; // null with another scaler
  private final ServerMetrics metrics;
  private final InstantSource clock;
  private final LogLimiter unknownLog;

  StatIngest(
      Multiscaler multiscaler,
      DecisionPusher pusher,
      AdvisoryScaler advisory,
      ServerMetrics metrics,
      InstantSource clock,
      Duration logInterval) {
    this.multiscaler = multiscaler;
    this.pusher = pusher;
    this.advisory = advisory;
    this.metrics = metrics;
    this.clock = clock;
    this.unknownLog = new LogLimiter(logInterval, 1);
  }

  @Override
  public void onConnect(KmpPeer peer) {
    Role role = peer.hello().role();
    metrics.connected(role);
    if (role == Role.ACTIVATOR) {
      pusher.activatorConnected(peer);
      activatorsChanged();
    }
  }

  @Override
  public void onDisconnect(KmpPeer peer, CloseReason reason) {
    if (peer.hello().role() == Role.ACTIVATOR) {
      pusher.activatorDisconnected(peer);
      activatorsChanged();
    }
  }

  private void activatorsChanged() {
    if (advisory != null) {
      advisory.activatorsConnected(pusher.activatorCount());
    }
  }

  @Override
  public void onStats(KmpPeer peer, StatBatch batch) {
    long now = AdvisoryScaler.nanos(clock.instant());
    boolean queueProxy = advisory != null && peer.hello().role() == Role.QUEUE_PROXY;
    List<Stat> stats = batch.stats();
    int rejected = 0;
    Stat firstRejected = null;
    for (int i = 0, n = stats.size(); i < n; i++) {
      Stat s = stats.get(i);
      boolean known =
          multiscaler.record(
              s.revision(),
              now,
              s.averageConcurrency(),
              s.averageProxiedConcurrency(),
              s.requestCount(),
              s.proxiedRequestCount());
      if (!known) {
        rejected++;
        if (firstRejected == null) {
          firstRejected = s;
        }
      } else if (queueProxy) {
        advisory.podReported(s.revision(), s.podName(), now);
      }
    }
    metrics.received(stats.size());
    if (rejected > 0) {
      metrics.rejected(RejectReason.UNKNOWN_REVISION, rejected);
      long held = unknownLog.tryAcquire();
      if (held >= 0) {
        LOG.warn(
            "KMP: {} stat(s) for revisions not autoscaled (e.g. {} from {}) rejected{}",
            rejected,
            firstRejected.revision(),
            peer,
            LogLimiter.suffix(held));
      }
    }
  }
}
