package dev.knetty.activator.kubernetes;

import dev.knetty.activator.endpoints.EndpointSource;
import dev.knetty.activator.endpoints.PodEndpoint;
import dev.knetty.activator.endpoints.RevisionEndpoints;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.RevisionSettings;
import dev.knetty.common.kubernetes.KnettyAnnotations;
import dev.knetty.common.kubernetes.KnettyKeys;
import dev.knetty.common.proxy.UpstreamTarget;
import dev.knetty.common.subset.ConsistentSubset;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The activator's revisions and pods on Kubernetes, from fabric8 informers (no periodic resync:
 * every change is a watch event), in the watched namespace or all of them:
 *
 * <ul>
 *   <li><b>Revisions</b>: Deployments labelled {@value KnettyKeys#REVISION_LABEL}{@code =<name>}
 *       (the oldest one when several claim a name, as the autoscaler decides). Their pod template's
 *       {@code knetty.dev/container-concurrency} and {@code knetty.dev/*-timeout-seconds}
 *       annotations are the settings, read by {@link KnettyAnnotations} with the cluster's revision
 *       defaults; when they have a problem the revision keeps its last good settings (one log line
 *       per change; the autoscaler reports the problem as an Event on the Deployment).
 *   <li><b>Pods</b>: the EndpointSlices of the revision's private Service (labelled {@value
 *       KnettyKeys#SERVICE_TYPE_LABEL}{@code =private}, which Kubernetes derives from the pods):
 *       each endpoint's first address on the slice's port named {@code http2} (h2c revisions) or
 *       {@code http} (the queue-proxy's serving port), with its {@code ready} (unset counts as
 *       ready) and {@code terminating} conditions. A terminating endpoint gets no new requests,
 *       whether it still serves or not: Knative's activator reads Endpoints, from which Kubernetes
 *       drops terminating pods. Several slices of a revision are merged by address.
 *   <li><b>This activator's index</b>: the revision's public EndpointSlice ({@value
 *       KnettyKeys#SERVICE_TYPE_LABEL}{@code =public}), which the autoscaler fills with the
 *       revision's activator subset in proxy mode. When its ready addresses include this pod's IP,
 *       the index is that IP's position among them sorted as strings and the count their number
 *       (Knative's {@code inferIndex}); otherwise (serve mode, or another subset) the last index
 *       stays, as in Knative.
 * </ul>
 *
 * <p>Threading: informer callbacks only mark the revision; one thread of the source recomputes it
 * from the informers' caches and hands the result to the listener (the activator's control loop),
 * only when it changed. Nothing runs on an event loop.
 *
 * <p>{@link #synced()} once every informer has listed its objects and the state they held was
 * delivered; an informer that stops for good (e.g. lost RBAC) makes it false again, so the
 * activator turns unready (and its liveness probe eventually restarts it).
 */
public final class KubernetesEndpointSource implements EndpointSource {

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesEndpointSource.class);

  /** Deployments and EndpointSlices by {@code namespace/revision}. */
  static final String BY_REVISION = "byRevision";

  /** The settings the activator reads; the user port is the queue-proxy's business. */
  private static final Set<String> SETTINGS_KEYS =
      Set.of(
          KnettyKeys.CONTAINER_CONCURRENCY,
          KnettyKeys.TIMEOUT_SECONDS,
          KnettyKeys.RESPONSE_START_TIMEOUT_SECONDS,
          KnettyKeys.IDLE_TIMEOUT_SECONDS);

  /** The private Service's port names of the queue-proxy's serving port (Knative's). */
  static final String HTTP_PORT = "http";

  static final String H2C_PORT = "http2";

  private final KubernetesSourceConfig config;
  private final SharedIndexInformer<Deployment> deployments;
  private final SharedIndexInformer<EndpointSlice> podSlices;
  private final SharedIndexInformer<EndpointSlice> publicSlices;
  private final Map<String, SharedIndexInformer<?>> informers = new LinkedHashMap<>();
  private final Map<String, CompletableFuture<Void>> starts = new LinkedHashMap<>();
  private final CompletableFuture<Void> delivered = new CompletableFuture<>();
  private final ExecutorService executor;
  private final Set<RevisionKey> pending = ConcurrentHashMap.newKeySet();
  private volatile Listener listener;
  private volatile boolean closing;

  // The source's thread only.
  private final Map<RevisionKey, Known> known = new HashMap<>();

  /** A revision as delivered, and what outlives one computation of it. */
  private static final class Known {
    RevisionSettings lastGood;
    String problems = "";
    int activatorIndex = -1;
    int activatorCount;
    RevisionEndpoints delivered;
  }

  /**
   * A source on {@code client}'s cluster (the caller closes the client, after this source). Nothing
   * is watched before {@link #start}.
   */
  public KubernetesEndpointSource(KubernetesClient client, KubernetesSourceConfig config) {
    Objects.requireNonNull(client, "client");
    this.config = Objects.requireNonNull(config, "config");
    this.deployments =
        scope(client.apps().deployments()).withLabel(KnettyKeys.REVISION_LABEL).runnableInformer(0);
    this.podSlices = slices(client, KnettyKeys.SERVICE_TYPE_PRIVATE);
    this.publicSlices = slices(client, KnettyKeys.SERVICE_TYPE_PUBLIC);
    deployments.addIndexers(Map.of(BY_REVISION, o -> List.of(indexKey(o))));
    informers.put("deployments", deployments);
    informers.put("private endpointslices", podSlices);
    informers.put("public endpointslices", publicSlices);
    informers.values().forEach(this::onChange);
    this.executor =
        Executors.newSingleThreadExecutor(new DefaultThreadFactory("knetty-k8s-endpoints", true));
  }

  private SharedIndexInformer<EndpointSlice> slices(KubernetesClient client, String type) {
    SharedIndexInformer<EndpointSlice> informer =
        scope(client.discovery().v1().endpointSlices())
            .withLabel(KnettyKeys.SERVICE_TYPE_LABEL, type)
            .runnableInformer(0);
    informer.addIndexers(Map.of(BY_REVISION, o -> List.of(indexKey(o))));
    return informer;
  }

  private <T extends HasMetadata, L extends KubernetesResourceList<T>, R extends Resource<T>>
      FilterWatchListDeletable<T, L, R> scope(MixedOperation<T, L, R> op) {
    return config.allNamespaces() ? op.inAnyNamespace() : op.inNamespace(config.watchNamespace());
  }

  @Override
  public void start(Listener l) {
    if (listener != null) {
      throw new IllegalStateException("kubernetes endpoint source: already started");
    }
    listener = Objects.requireNonNull(l, "listener");
    for (Map.Entry<String, SharedIndexInformer<?>> entry : informers.entrySet()) {
      String name = entry.getKey();
      SharedIndexInformer<?> informer = entry.getValue();
      informer.exceptionHandler(
          (isStarted, t) -> {
            LOG.warn("{} informer: {}", name, t.toString());
            // A watch that breaks is retried; objects that cannot be read never will be.
            return !ExceptionHandler.isDeserializationException(t);
          });
      informer
          .stopped()
          .whenComplete(
              (ok, t) -> {
                if (!closing) {
                  LOG.error(
                      "{} informer stopped ({}); the activator is unready from now on",
                      name,
                      t == null ? "no error" : t.toString());
                }
              });
      starts.put(name, informer.start().toCompletableFuture());
    }
    CompletableFuture.allOf(starts.values().toArray(CompletableFuture[]::new))
        .whenComplete(
            (ok, t) -> {
              if (t != null) {
                delivered.completeExceptionally(t);
                return;
              }
              // The caches are full; the informers may still be notifying. Deliver what the
              // caches hold now, then count as synced.
              execute(
                  () -> {
                    for (RevisionKey key : allKeys()) {
                      update(key);
                    }
                    delivered.complete(null);
                  });
            });
  }

  /**
   * Waits until {@link #synced()}.
   *
   * @throws IllegalStateException naming the informer that failed or did not sync within {@link
   *     KubernetesSourceConfig#cacheSyncTimeout()} (usually missing RBAC permissions)
   */
  public void awaitSynced() {
    Duration timeout = config.cacheSyncTimeout();
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, CompletableFuture<Void>> all = new LinkedHashMap<>(starts);
    all.put("initial delivery", delivered);
    for (Map.Entry<String, CompletableFuture<Void>> entry : all.entrySet()) {
      String name = entry.getKey();
      try {
        entry.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        throw new IllegalStateException(
            name
                + " informer: not synced within "
                + timeout.toSeconds()
                + " s (expected: list and watch permissions, see the chart's activator RBAC)",
            e);
      } catch (ExecutionException e) {
        throw new IllegalStateException(name + " informer: " + e.getCause(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(name + " informer: interrupted while starting", e);
      }
    }
  }

  @Override
  public boolean synced() {
    if (!delivered.isDone() || delivered.isCompletedExceptionally()) {
      return false;
    }
    for (SharedIndexInformer<?> informer : informers.values()) {
      if (!informer.isRunning()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    closing = true;
    informers.values().forEach(SharedIndexInformer::stop);
    executor.shutdownNow();
  }

  // ---------------------------------------------------------------- informer callbacks

  private <T> void onChange(SharedIndexInformer<T> informer) {
    informer.addEventHandler(
        new ResourceEventHandler<T>() {
          @Override
          public void onAdd(T obj) {
            changed(obj);
          }

          @Override
          public void onUpdate(T oldObj, T newObj) {
            changed(oldObj);
            changed(newObj);
          }

          @Override
          public void onDelete(T obj, boolean deletedFinalStateUnknown) {
            changed(obj);
          }
        });
  }

  /** Marks the revision of {@code obj}; one task per revision is queued at a time. */
  private void changed(Object obj) {
    RevisionKey key = obj instanceof HasMetadata o ? revisionOf(o) : null;
    if (key != null && pending.add(key)) {
      execute(
          () -> {
            pending.remove(key);
            update(key);
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
              LOG.warn("Updating revisions from Kubernetes failed: {}", e.toString(), e);
            }
          });
    } catch (RejectedExecutionException e) {
      LOG.debug("Kubernetes endpoint source closed, dropping an update");
    }
  }

  // ---------------------------------------------------------------- the source's thread

  /** Recomputes revision {@code key} from the caches and delivers it if it changed. */
  private void update(RevisionKey key) {
    Listener l = listener;
    List<Deployment> candidates = deployments.getIndexer().byIndex(BY_REVISION, indexKey(key));
    if (candidates.isEmpty()) {
      if (known.remove(key) != null) {
        l.remove(key);
      }
      return;
    }
    Deployment d = candidates.stream().min(OLDEST_FIRST).orElseThrow();
    Known k = known.computeIfAbsent(key, x -> new Known());
    RevisionSettings settings = settings(key, d, k);
    List<PodEndpoint> endpoints =
        podEndpoints(podSlices.getIndexer().byIndex(BY_REVISION, indexKey(key)));
    inferIndex(publicSlices.getIndexer().byIndex(BY_REVISION, indexKey(key)), k);
    RevisionEndpoints r =
        new RevisionEndpoints(key, settings, endpoints, k.activatorIndex, k.activatorCount);
    if (!r.equals(k.delivered)) {
      k.delivered = r;
      l.upsert(r);
    }
  }

  /** The settings of {@code d}'s pod template; its last good ones while they have problems. */
  private RevisionSettings settings(RevisionKey key, Deployment d, Known k) {
    Map<String, String> annotations = new HashMap<>();
    ObjectMeta template =
        d.getSpec() == null || d.getSpec().getTemplate() == null
            ? null
            : d.getSpec().getTemplate().getMetadata();
    if (template != null && template.getAnnotations() != null) {
      template
          .getAnnotations()
          .forEach(
              (name, value) -> {
                if (SETTINGS_KEYS.contains(name)) {
                  annotations.put(name, value);
                }
              });
    }
    KnettyAnnotations.Read read =
        KnettyAnnotations.read(
            annotations, config.revisionDefaults(), RevisionSettings.DEFAULT_USER_PORT);
    String problems = String.join("; ", read.warnings());
    if (!problems.equals(k.problems)) {
      k.problems = problems;
      if (!problems.isEmpty()) {
        LOG.warn(
            "Revision {}: invalid annotations on Deployment {}: {}; the activator uses {}",
            key,
            d.getMetadata().getName(),
            problems,
            k.lastGood != null ? "the last good settings " + k.lastGood : "those defaults");
      }
    }
    if (problems.isEmpty()) {
      k.lastGood = read.settings();
    }
    return k.lastGood != null ? k.lastGood : read.settings();
  }

  /** The pods of a revision's private EndpointSlices, one per address, sorted by address. */
  static List<PodEndpoint> podEndpoints(List<EndpointSlice> slices) {
    TreeMap<String, PodEndpoint> byAddress = new TreeMap<>();
    for (EndpointSlice s : slices) {
      Integer port = servingPort(s);
      if (port == null || s.getEndpoints() == null) {
        continue;
      }
      for (Endpoint e : s.getEndpoints()) {
        if (e.getAddresses() == null || e.getAddresses().isEmpty()) {
          continue;
        }
        UpstreamTarget address;
        try {
          address = UpstreamTarget.of(e.getAddresses().get(0), port);
        } catch (IllegalArgumentException notAnIp) {
          LOG.debug("EndpointSlice {}: {}", s.getMetadata().getName(), notAnIp.getMessage());
          continue;
        }
        EndpointConditions c = e.getConditions();
        boolean ready = c == null || c.getReady() == null || c.getReady();
        boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
        PodEndpoint pod = new PodEndpoint(address, ready && !terminating, terminating);
        // During re-slicing an address may be in two slices: the usable entry wins.
        byAddress.merge(address.toString(), pod, (a, b) -> a.ready() || b.terminating() ? a : b);
      }
    }
    return List.copyOf(byAddress.values());
  }

  /** The slice's port named {@value #H2C_PORT}, else {@value #HTTP_PORT}; null without. */
  private static Integer servingPort(EndpointSlice s) {
    Integer http = null;
    if (s.getPorts() != null) {
      for (EndpointPort p : s.getPorts()) {
        if (H2C_PORT.equals(p.getName()) && p.getPort() != null) {
          return p.getPort();
        }
        if (HTTP_PORT.equals(p.getName())) {
          http = p.getPort();
        }
      }
    }
    return http;
  }

  /**
   * Knative's {@code inferIndex} on the public endpoints: when this pod's IP is among their ready
   * addresses, its index among them and their number; otherwise the last values stay.
   */
  private void inferIndex(List<EndpointSlice> slices, Known k) {
    Set<String> ips = new HashSet<>();
    for (EndpointSlice s : slices) {
      if (s.getEndpoints() == null) {
        continue;
      }
      for (Endpoint e : s.getEndpoints()) {
        EndpointConditions c = e.getConditions();
        boolean ready = c == null || c.getReady() == null || c.getReady();
        if (ready && e.getAddresses() != null && !e.getAddresses().isEmpty()) {
          ips.add(e.getAddresses().get(0));
        }
      }
    }
    int index = ConsistentSubset.indexOf(ips, config.podIp());
    if (index >= 0) {
      k.activatorIndex = index;
      k.activatorCount = ips.size();
    }
  }

  /** Every revision with a Deployment in the cache, and every one delivered before. */
  private Set<RevisionKey> allKeys() {
    Set<RevisionKey> keys = new LinkedHashSet<>();
    for (Deployment d : deployments.getIndexer().list()) {
      RevisionKey key = revisionOf(d);
      if (key != null) {
        keys.add(key);
      }
    }
    keys.addAll(known.keySet());
    return keys;
  }

  // ---------------------------------------------------------------- labels

  /** The revision a labelled object belongs to, or null without a label or a valid name. */
  static RevisionKey revisionOf(HasMetadata o) {
    Map<String, String> labels = o.getMetadata().getLabels();
    String revision = labels == null ? null : labels.get(KnettyKeys.REVISION_LABEL);
    String namespace = o.getMetadata().getNamespace();
    if (revision == null
        || namespace == null
        || !RevisionKey.isDnsLabel(revision)
        || !RevisionKey.isDnsLabel(namespace)) {
      return null;
    }
    return new RevisionKey(namespace, revision);
  }

  private static String indexKey(HasMetadata o) {
    Map<String, String> labels = o.getMetadata().getLabels();
    return o.getMetadata().getNamespace()
        + "/"
        + (labels == null ? null : labels.get(KnettyKeys.REVISION_LABEL));
  }

  private static String indexKey(RevisionKey key) {
    return key.namespace() + "/" + key.name();
  }

  /** The oldest Deployment first, the name breaking ties: the autoscaler's choice. */
  private static final Comparator<Deployment> OLDEST_FIRST =
      Comparator.comparing(
              (Deployment d) -> d.getMetadata().getCreationTimestamp(),
              Comparator.nullsLast(Comparator.naturalOrder()))
          .thenComparing(d -> d.getMetadata().getName());
}
