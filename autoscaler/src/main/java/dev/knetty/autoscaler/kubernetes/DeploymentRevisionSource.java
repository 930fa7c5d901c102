package dev.knetty.autoscaler.kubernetes;

import dev.knetty.autoscaler.server.RevisionSource;
import dev.knetty.autoscaler.server.RevisionSpec;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.config.ConfigException;
import dev.knetty.common.config.RevisionAnnotations;
import dev.knetty.common.config.RevisionDefaults;
import dev.knetty.common.config.RevisionScaling;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The revisions of a Kubernetes cluster: every Deployment labelled {@value
 * KnettyKeys#REVISION_LABEL}{@code =<name>} is revision {@code <namespace>/<name>}, with the pod
 * template's {@code autoscaling.knative.dev/*} and {@code knetty.dev/*} annotations as its
 * settings.
 *
 * <p>Each Deployment is checked, and a problem becomes a Warning Event on it ({@link
 * EventRecorder}):
 *
 * <ul>
 *   <li>{@code InvalidRevision}: the revision name is not a DNS label of at most {@value #MAX_NAME}
 *       characters (its Services are named after it), or the pod template lacks the same label (the
 *       webhook would not inject the queue-proxy, the private Service would not select the pods).
 *       The revision is not autoscaled.
 *   <li>{@code RevisionConflict}: another Deployment of the namespace is the same revision; the
 *       oldest one is the revision.
 *   <li>{@code InvalidAnnotation}: a {@code knetty.dev/*} value out of range falls back (as in the
 *       webhook, so that the autoscaler and the queue-proxy agree); an invalid {@code
 *       autoscaling.knative.dev/*} annotation keeps the revision's last good settings (or leaves it
 *       unscaled until it has some), as Knative's admission webhook would have refused it.
 * </ul>
 *
 * <p>Leadership: all replicas watch and check, only the leader delivers revisions to the
 * autoscaler. When this replica starts leading, every revision is examined again and delivered;
 * revisions delivered then are <em>adopted</em> ({@link #adopting}): their Deployments already run,
 * so the autoscaler resumes them at their current replicas.
 *
 * <p>Threading: informer events only queue the revision; one thread examines revisions and calls
 * the listener, never an event loop.
 */
final class DeploymentRevisionSource implements RevisionSource {

  private static final Logger LOG = LoggerFactory.getLogger(DeploymentRevisionSource.class);

  /** The longest revision name: its private Service {@code <name>-private} is a DNS label. */
  static final int MAX_NAME = 63 - "-private".length();

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");

  static final String INVALID_REVISION = "InvalidRevision";
  static final String REVISION_CONFLICT = "RevisionConflict";
  static final String INVALID_ANNOTATION = "InvalidAnnotation";

  /** A revision accepted from its Deployment: what the scaler and the reconciler act on. */
  record Target(RevisionKey key, String deployment, String uid, boolean h2c) {}

  private final ClusterCache cache;
  private final Leadership leadership;
  private final RevisionDefaults defaults;
  private final EventRecorder events;
  private final ExecutorService executor;
  private final ConcurrentHashMap<RevisionKey, Target> accepted = new ConcurrentHashMap<>();
  private final Set<RevisionKey> pending = ConcurrentHashMap.newKeySet();
  private final Set<RevisionKey> adopting = ConcurrentHashMap.newKeySet();
  private final List<Consumer<RevisionKey>> changeListeners = new CopyOnWriteArrayList<>();
  private volatile AutoscalerConfig config;
  private volatile Listener listener;
  private volatile boolean delivering;

  DeploymentRevisionSource(
      ClusterCache cache,
      Leadership leadership,
      AutoscalerConfig config,
      RevisionDefaults defaults,
      EventRecorder events) {
    this.cache = Objects.requireNonNull(cache, "cache");
    this.leadership = Objects.requireNonNull(leadership, "leadership");
    this.config = Objects.requireNonNull(config, "config");
    this.defaults = Objects.requireNonNull(defaults, "defaults");
    this.events = Objects.requireNonNull(events, "events");
    this.executor =
        Executors.newSingleThreadExecutor(new DefaultThreadFactory("knetty-revisions", true));
    cache.deployments.addEventHandler(
        new ResourceEventHandler<Deployment>() {
          @Override
          public void onAdd(Deployment d) {
            changed(d);
          }

          @Override
          public void onUpdate(Deployment before, Deployment after) {
            changed(before);
            changed(after);
          }

          @Override
          public void onDelete(Deployment d, boolean deletedFinalStateUnknown) {
            events.forget(d.getMetadata().getUid());
            changed(d);
          }
        });
    leadership.onStart(() -> execute(this::lead));
  }

  /** Adds a listener told (on the source's thread) whenever a revision is accepted or dropped. */
  void addChangeListener(Consumer<RevisionKey> l) {
    changeListeners.add(l);
  }

  @Override
  public void start(Listener l) {
    this.listener = Objects.requireNonNull(l, "listener");
  }

  @Override
  public boolean synced() {
    return cache.synced();
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }

  /** The accepted revision {@code key}, or null. */
  Target target(RevisionKey key) {
    return accepted.get(key);
  }

  /** Every accepted revision. */
  Set<RevisionKey> keys() {
    return Set.copyOf(accepted.keySet());
  }

  /** Whether {@code key} is being delivered as an adopted revision right now. */
  boolean adopting(RevisionKey key) {
    return adopting.contains(key);
  }

  /** Examines every revision again under {@code next} (a changed {@code config-autoscaler}). */
  void reconfigure(AutoscalerConfig next) {
    this.config = Objects.requireNonNull(next, "next");
    execute(
        () -> {
          for (RevisionKey key : revisionKeys()) {
            examine(key);
          }
        });
  }

  private void changed(Deployment d) {
    RevisionKey key = keyOf(d);
    if (key != null && pending.add(key)) {
      execute(
          () -> {
            pending.remove(key);
            examine(key);
          });
    }
  }

  private void execute(Runnable task) {
    try {
      executor.execute(
          () -> {
            try {
              task.run();
            } catch (RuntimeException e) {
              LOG.warn("Examining revisions failed: {}", e.toString(), e);
            }
          });
    } catch (RejectedExecutionException e) {
      LOG.debug("Revision source closed, dropping a task");
    }
  }

  /** This replica leads: examine and deliver everything, the revisions found now adopted. */
  private void lead() {
    delivering = leadership.leading();
    if (!delivering) {
      return;
    }
    Set<RevisionKey> keys = revisionKeys();
    adopting.addAll(keys);
    try {
      for (RevisionKey key : keys) {
        examine(key);
      }
    } finally {
      adopting.clear();
    }
    LOG.info("Leading: {} revision(s) handed to the autoscaler", accepted.size());
  }

  /** The revisions of every Deployment in the cache, and those accepted before. */
  private Set<RevisionKey> revisionKeys() {
    Set<RevisionKey> keys = new LinkedHashSet<>();
    for (Deployment d : cache.deployments.getIndexer().list()) {
      RevisionKey key = keyOf(d);
      if (key != null) {
        keys.add(key);
      }
    }
    keys.addAll(accepted.keySet());
    return keys;
  }

  /** Checks the Deployments of revision {@code key} and delivers the outcome. */
  private void examine(RevisionKey key) {
    List<Deployment> candidates = new ArrayList<>(cache.deploymentsOf(key));
    if (candidates.isEmpty()) {
      drop(key);
      return;
    }
    candidates.sort(OLDEST_FIRST);
    Deployment d = candidates.get(0);
    events.resolved(d, REVISION_CONFLICT);
    for (Deployment other : candidates.subList(1, candidates.size())) {
      events.warning(
          other,
          REVISION_CONFLICT,
          "Deployment "
              + d.getMetadata().getName()
              + " already is revision "
              + key.name()
              + " in this namespace; this one is ignored (expected: one Deployment per"
              + " knetty.dev/revision)");
    }

    String problem = invalidRevision(key, d);
    if (problem != null) {
      events.warning(d, INVALID_REVISION, problem);
      drop(key);
      return;
    }
    events.resolved(d, INVALID_REVISION);

    PodTemplateSpec template = d.getSpec().getTemplate();
    Map<String, String> annotations = template.getMetadata().getAnnotations();
    annotations = annotations == null ? Map.of() : annotations;
    List<String> problems = new ArrayList<>();
    // Lenient, as the webhook that configured the queue-proxy of these pods.
    KnettyAnnotations.Read read =
        KnettyAnnotations.read(
            annotations,
            defaults,
            RevisionPods.firstPort(
                RevisionPods.servingContainer(template.getSpec().getContainers())));
    problems.addAll(read.warnings());
    RevisionSpec spec =
        RevisionSpec.of(
            key, read.settings().containerConcurrency(), autoscalingAnnotations(annotations));
    Target previous = accepted.get(key);
    boolean valid = true;
    try {
      AutoscalerConfig c = config;
      RevisionScaling.derive(
          c, RevisionAnnotations.parse(spec.annotations(), c), spec.containerConcurrency(), true);
    } catch (ConfigException e) {
      valid = false;
      problems.add(
          e.getMessage()
              + (previous != null
                  ? "; the revision keeps its last good settings"
                  : "; the revision is not autoscaled until this is fixed"));
    }
    if (problems.isEmpty()) {
      events.resolved(d, INVALID_ANNOTATION);
    } else {
      events.warning(d, INVALID_ANNOTATION, String.join("; ", problems));
    }
    if (!valid) {
      return;
    }
    Target target =
        new Target(
            key, d.getMetadata().getName(), d.getMetadata().getUid(), RevisionPods.h2c(template));
    accepted.put(key, target);
    Listener l = listener;
    if (delivering && l != null && leadership.leading()) {
      l.upsert(spec);
    }
    changeListeners.forEach(c -> c.accept(key));
  }

  /** {@code key} has no (valid) Deployment: it is no revision any more. */
  private void drop(RevisionKey key) {
    if (accepted.remove(key) == null) {
      return;
    }
    Listener l = listener;
    if (delivering && l != null) {
      l.remove(key);
    }
    changeListeners.forEach(c -> c.accept(key));
  }

  /** The revision {@code d} is labelled with; null (and an Event) when it cannot be one. */
  private RevisionKey keyOf(Deployment d) {
    String revision = ClusterCache.revisionOf(d);
    if (revision == null) {
      return null;
    }
    if (revision.length() > MAX_NAME || !DNS_LABEL.matcher(revision).matches()) {
      events.warning(
          d,
          INVALID_REVISION,
          KnettyKeys.REVISION_LABEL
              + ": \""
              + revision
              + "\" (expected: a DNS label of at most "
              + MAX_NAME
              + " characters, lower-case letters, digits and '-', starting with a letter; the"
              + " revision's Services are named after it)");
      return null;
    }
    return new RevisionKey(ClusterCache.namespace(d), revision);
  }

  /** Why {@code d} cannot be revision {@code key}, or null. */
  private static String invalidRevision(RevisionKey key, Deployment d) {
    String name = key.name();
    PodTemplateSpec template = d.getSpec() == null ? null : d.getSpec().getTemplate();
    ObjectMeta meta = template == null ? null : template.getMetadata();
    Map<String, String> labels = meta == null ? null : meta.getLabels();
    if (labels == null || !name.equals(labels.get(KnettyKeys.REVISION_LABEL))) {
      return "the pod template has "
          + KnettyKeys.REVISION_LABEL
          + "="
          + (labels == null ? null : labels.get(KnettyKeys.REVISION_LABEL))
          + " (expected: "
          + name
          + ", as on the Deployment, so that the webhook injects the queue-proxy and the"
          + " revision's Service selects its pods)";
    }
    PodSpec spec = template.getSpec();
    if (spec == null || spec.getContainers() == null || spec.getContainers().isEmpty()) {
      return "the pod template has no containers";
    }
    return null;
  }

  /** The annotations the autoscaler reads: Knative's autoscaling and progress-deadline ones. */
  private static Map<String, String> autoscalingAnnotations(Map<String, String> annotations) {
    Map<String, String> out = new TreeMap<>();
    annotations.forEach(
        (k, v) -> {
          if (k.startsWith(RevisionAnnotations.GROUP)
              || k.equals(RevisionAnnotations.PROGRESS_DEADLINE)) {
            out.put(k, v);
          }
        });
    return out;
  }

  /** The oldest Deployment first; the name breaks ties. */
  private static final Comparator<Deployment> OLDEST_FIRST =
      Comparator.comparing(
              (Deployment d) -> d.getMetadata().getCreationTimestamp(),
              Comparator.nullsLast(Comparator.naturalOrder()))
          .thenComparing(d -> d.getMetadata().getName());
}
