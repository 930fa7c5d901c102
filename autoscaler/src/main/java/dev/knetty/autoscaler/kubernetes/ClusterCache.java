package dev.knetty.autoscaler.kubernetes;

import dev.knetty.common.RevisionKey;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.Service;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The autoscaler's view of the cluster: fabric8 informers (no periodic resync: every change is a
 * watch event) on
 *
 * <ul>
 *   <li>Deployments labelled {@value KnettyKeys#REVISION_LABEL} (the revisions),
 *   <li>Services and EndpointSlices labelled {@value KnettyKeys#REVISION_LABEL}: the Services the
 *       autoscaler owns, the public EndpointSlices it writes and the EndpointSlices Kubernetes
 *       derives from the private Services (they inherit the Service's labels),
 *   <li>the activator Service's EndpointSlices, in the autoscaler's namespace,
 * </ul>
 *
 * in the watched namespace or all of them. Handlers must be added before {@link #start}; they run
 * on the informers' threads and must only hand work on.
 *
 * <p>As JOSDK does: an informer that stops for good (e.g. lost RBAC) is reported to the {@code
 * onStopped} callback, which exits the process so that Kubernetes restarts it; {@link #start} waits
 * for every cache with a timeout, so that missing permissions fail the start instead of hanging it;
 * readiness is every informer running and synced.
 */
final class ClusterCache implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterCache.class);

  /** Deployments by {@code namespace/revision}. */
  static final String BY_REVISION = "byRevision";

  /** Revision EndpointSlices by {@code namespace/revision/service-type}. */
  static final String BY_REVISION_TYPE = "byRevisionType";

  final SharedIndexInformer<Deployment> deployments;
  final SharedIndexInformer<Service> services;
  final SharedIndexInformer<EndpointSlice> slices;
  final SharedIndexInformer<EndpointSlice> activatorSlices;
  private final Map<String, SharedIndexInformer<?>> all = new LinkedHashMap<>();
  private final BiConsumer<String, Throwable> onStopped;
  private volatile boolean closing;

  /**
   * @param onStopped told (name, cause) when an informer stopped on its own
   */
  ClusterCache(
      KubernetesClient client, KubernetesConfig config, BiConsumer<String, Throwable> onStopped) {
    this.onStopped = Objects.requireNonNull(onStopped, "onStopped");
    this.deployments =
        scope(client.apps().deployments(), config)
            .withLabel(KnettyKeys.REVISION_LABEL)
            .runnableInformer(0);
    deployments.addIndexers(Map.of(BY_REVISION, d -> List.of(namespace(d) + "/" + revisionOf(d))));
    this.services =
        scope(client.services(), config).withLabel(KnettyKeys.REVISION_LABEL).runnableInformer(0);
    this.slices =
        scope(client.discovery().v1().endpointSlices(), config)
            .withLabel(KnettyKeys.REVISION_LABEL)
            .runnableInformer(0);
    slices.addIndexers(Map.of(BY_REVISION_TYPE, s -> List.of(revisionTypeKey(s))));
    this.activatorSlices =
        client
            .discovery()
            .v1()
            .endpointSlices()
            .inNamespace(config.namespace())
            .withLabel(KnettyKeys.SERVICE_NAME_LABEL, config.activatorService())
            .runnableInformer(0);
    all.put("deployments", deployments);
    all.put("services", services);
    all.put("revision endpointslices", slices);
    all.put("activator endpointslices", activatorSlices);
  }

  private static <T extends HasMetadata, L extends KubernetesResourceList<T>, R extends Resource<T>>
      FilterWatchListDeletable<T, L, R> scope(MixedOperation<T, L, R> op, KubernetesConfig config) {
    return config.allNamespaces() ? op.inAnyNamespace() : op.inNamespace(config.watchNamespace());
  }

  /**
   * Starts every informer and waits until each has listed its objects.
   *
   * @throws IllegalStateException naming the informer that failed or did not sync within {@code
   *     timeout} (usually missing RBAC permissions)
   */
  void start(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Map.Entry<String, SharedIndexInformer<?>> entry : all.entrySet()) {
      String name = entry.getKey();
      SharedIndexInformer<?> informer = entry.getValue();
      informer.exceptionHandler(
          (started, t) -> {
            LOG.warn("{} informer: {}", name, t.toString());
            // A watch that breaks is retried; objects that cannot be read never will be.
            return !ExceptionHandler.isDeserializationException(t);
          });
      informer
          .stopped()
          .whenComplete(
              (ok, t) -> {
                if (!closing) {
                  onStopped.accept(name, t);
                }
              });
      Thread thread = Thread.currentThread();
      String threadName = thread.getName();
      thread.setName(threadName + " (starting the " + name + " informer)");
      try {
        informer
            .start()
            .toCompletableFuture()
            .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        throw new IllegalStateException(
            name
                + " informer: not synced within "
                + timeout.toSeconds()
                + " s (expected: list and watch permissions, see the chart's autoscaler RBAC)",
            e);
      } catch (ExecutionException e) {
        throw new IllegalStateException(name + " informer: " + e.getCause(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(name + " informer: interrupted while starting", e);
      } finally {
        thread.setName(threadName);
      }
    }
  }

  /** Whether every informer runs and has synced (readiness). */
  boolean synced() {
    for (SharedIndexInformer<?> informer : all.values()) {
      if (!informer.isRunning() || !informer.hasSynced()) {
        return false;
      }
    }
    return true;
  }

  /** Stops every informer. */
  @Override
  public void close() {
    closing = true;
    all.values().forEach(SharedIndexInformer::stop);
  }

  // --- reads of the caches ---

  /** The Deployments labelled with revision {@code key}. */
  List<Deployment> deploymentsOf(RevisionKey key) {
    return deployments.getIndexer().byIndex(BY_REVISION, key.namespace() + "/" + key.name());
  }

  /** A Deployment by namespace and name, or null. */
  Deployment deployment(String namespace, String name) {
    return deployments.getIndexer().getByKey(namespace + "/" + name);
  }

  /** A revision Service by namespace and name, or null. */
  Service service(String namespace, String name) {
    return services.getIndexer().getByKey(namespace + "/" + name);
  }

  /** A revision EndpointSlice by namespace and name, or null. */
  EndpointSlice slice(String namespace, String name) {
    return slices.getIndexer().getByKey(namespace + "/" + name);
  }

  /** The EndpointSlices of revision {@code key}'s Service of {@code type}. */
  List<EndpointSlice> slicesOf(RevisionKey key, String type) {
    return slices
        .getIndexer()
        .byIndex(BY_REVISION_TYPE, key.namespace() + "/" + key.name() + "/" + type);
  }

  /** The ready addresses of revision {@code key}'s pods (its private Service's endpoints). */
  List<String> readyPodIps(RevisionKey key) {
    return readyAddresses(slicesOf(key, KnettyKeys.SERVICE_TYPE_PRIVATE));
  }

  /** The ready addresses of the activator Service's endpoints, sorted. */
  List<String> activatorIps() {
    return readyAddresses(activatorSlices.getIndexer().list());
  }

  /**
   * The activators' port named {@code http} (their data port, h2c included), or {@code fallback}
   * when no slice names one.
   */
  int activatorPort(int fallback) {
    for (EndpointSlice s : activatorSlices.getIndexer().list()) {
      for (EndpointPort p : s.getPorts()) {
        if ("http".equals(p.getName()) && p.getPort() != null) {
          return p.getPort();
        }
      }
    }
    return fallback;
  }

  /** The distinct addresses of the ready endpoints of {@code slices}, sorted. */
  static List<String> readyAddresses(Collection<EndpointSlice> slices) {
    List<String> ips = new ArrayList<>();
    for (Endpoint e : readyEndpoints(slices)) {
      ips.add(e.getAddresses().get(0));
    }
    return ips;
  }

  /**
   * The ready endpoints of {@code slices}, one per address, sorted by address. Ready is the
   * EndpointSlice {@code ready} condition (unset counts as ready, as the API says); it is false for
   * terminating endpoints.
   */
  static List<Endpoint> readyEndpoints(Collection<EndpointSlice> slices) {
    TreeMap<String, Endpoint> byAddress = new TreeMap<>();
    for (EndpointSlice s : slices) {
      for (Endpoint e : s.getEndpoints()) {
        EndpointConditions c = e.getConditions();
        boolean ready = c == null || c.getReady() == null || c.getReady();
        if (ready && !e.getAddresses().isEmpty()) {
          byAddress.putIfAbsent(e.getAddresses().get(0), e);
        }
      }
    }
    return new ArrayList<>(byAddress.values());
  }

  // --- handlers ---

  /** Adds {@code onChange} for every add, update and delete of {@code informer}'s objects. */
  static <T> void onChange(SharedIndexInformer<T> informer, Consumer<T> onChange) {
    informer.addEventHandler(
        new ResourceEventHandler<T>() {
          @Override
          public void onAdd(T obj) {
            onChange.accept(obj);
          }

          @Override
          public void onUpdate(T oldObj, T newObj) {
            onChange.accept(oldObj);
            if (oldObj != newObj) {
              onChange.accept(newObj);
            }
          }

          @Override
          public void onDelete(T obj, boolean deletedFinalStateUnknown) {
            onChange.accept(obj);
          }
        });
  }

  // --- labels ---

  /** The revision of a labelled object in its namespace; null without a label or a valid name. */
  static RevisionKey revisionKeyOf(HasMetadata o) {
    String revision = revisionOf(o);
    return revision == null || !RevisionKey.isDnsLabel(revision)
        ? null
        : new RevisionKey(namespace(o), revision);
  }

  /** The revision a labelled object belongs to, or null. */
  static String revisionOf(HasMetadata o) {
    Map<String, String> labels = o.getMetadata().getLabels();
    return labels == null ? null : labels.get(KnettyKeys.REVISION_LABEL);
  }

  private static String revisionTypeKey(EndpointSlice s) {
    Map<String, String> labels = s.getMetadata().getLabels();
    String type = labels == null ? null : labels.get(KnettyKeys.SERVICE_TYPE_LABEL);
    return namespace(s) + "/" + revisionOf(s) + "/" + type;
  }

  static String namespace(HasMetadata o) {
    return o.getMetadata().getNamespace();
  }
}
