package dev.knetty.autoscaler.server;

import dev.knetty.autoscaler.Multiscaler;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.config.ConfigException;
import dev.knetty.common.config.RevisionAnnotations;
import dev.knetty.common.config.RevisionScaling;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The revision source's listener: validates each revision's settings against {@code
 * config-autoscaler} (Knative's annotation validation and defaulting) and starts, updates or stops
 * autoscaling it. A revision whose settings are invalid keeps its last good settings, or is not
 * autoscaled if it has none; each refused update is counted and each distinct one logged once. A
 * new {@code config-autoscaler} ({@link #configure}) applies to every revision at once.
 */
final class RevisionCatalog implements RevisionSource.Listener {

  private static final Logger LOG = LoggerFactory.getLogger(RevisionCatalog.class);

  private AutoscalerConfig config; // guarded by this
  private final Multiscaler multiscaler;
  private final DecisionPusher pusher;
  private final ServerMetrics metrics;
  private final RecordingScaler scaler;
  private final AdvisoryScaler advisory; // null with another scaler
  private final ConcurrentHashMap<RevisionKey, Applied> applied = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<RevisionKey, RevisionSpec> refused = new ConcurrentHashMap<>();

  RevisionCatalog(
      AutoscalerConfig config,
      Multiscaler multiscaler,
      DecisionPusher pusher,
      ServerMetrics metrics,
      RecordingScaler scaler,
      AdvisoryScaler advisory) {
    this.config = config;
    this.multiscaler = multiscaler;
    this.pusher = pusher;
    this.metrics = metrics;
    this.scaler = scaler;
    this.advisory = advisory;
  }

  /** A revision's settings as given and as resolved. */
  record Applied(RevisionSpec spec, RevisionScaling scaling) {}

  /** The settings {@code key} is autoscaled with, or null. */
  Applied applied(RevisionKey key) {
    return applied.get(key);
  }

  @Override
  public synchronized void upsert(RevisionSpec spec) {
    Applied current = applied.get(spec.key());
    if (current != null && spec.equals(current.spec())) {
      return;
    }
    apply(spec, current);
  }

  /**
   * Applies {@code next} to every revision: each is derived again, a revision that the new config
   * makes invalid keeps its settings, and revisions refused before are tried again.
   */
  synchronized void configure(AutoscalerConfig next) {
    if (next.equals(config)) {
      return;
    }
    config = next;
    // A refused spec is newer than the applied one of its revision.
    Map<RevisionKey, RevisionSpec> specs = new HashMap<>();
    applied.forEach((key, a) -> specs.put(key, a.spec()));
    specs.putAll(refused);
    for (RevisionSpec spec : specs.values()) {
      Applied current = applied.get(spec.key());
      if (current == null || !current.scaling().equals(derive(spec))) {
        apply(spec, current);
      }
    }
  }

  private RevisionScaling derive(RevisionSpec spec) {
    try {
      return scaling(spec);
    } catch (ConfigException e) {
      return null;
    }
  }

  private RevisionScaling scaling(RevisionSpec spec) {
    return RevisionScaling.derive(
        config,
        RevisionAnnotations.parse(spec.annotations(), config),
        spec.containerConcurrency(),
        spec.reachable());
  }

  private void apply(RevisionSpec spec, Applied current) {
    RevisionKey key = spec.key();
    RevisionScaling scaling;
    try {
      scaling = scaling(spec);
    } catch (ConfigException e) {
      metrics.invalidRevision();
      if (!spec.equals(refused.put(key, spec))) {
        LOG.warn(
            "Revision {}: invalid settings, {}: {}",
            key,
            current == null ? "not autoscaled" : "keeping its last good settings",
            e.getMessage());
      }
      return;
    }
    refused.remove(key);
    Set<String> unknown = RevisionAnnotations.unknownKeys(spec.annotations());
    if (!unknown.isEmpty()) {
      LOG.warn("Revision {}: annotations Knative does not know are ignored: {}", key, unknown);
    }
    applied.put(key, new Applied(spec, scaling));
    pusher.upserted(key, spec.containerConcurrency());
    metrics.revision(key, scaling.decider().metric());
    multiscaler.upsert(key, scaling);
    LOG.debug("Revision {}: {}", key, current == null ? "autoscaled" : "updated");
  }

  @Override
  public synchronized void remove(RevisionKey key) {
    refused.remove(key);
    if (applied.remove(key) == null) {
      return;
    }
    multiscaler.remove(key);
    pusher.removed(key);
    metrics.removed(key);
    scaler.forget(key);
    if (advisory != null) {
      advisory.forget(key);
    }
    LOG.debug("Revision {}: removed", key);
  }
}
