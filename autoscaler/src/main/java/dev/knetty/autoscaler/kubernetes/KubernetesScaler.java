package dev.knetty.autoscaler.kubernetes;

import dev.knetty.autoscaler.Scaler;
import dev.knetty.autoscaler.kubernetes.DeploymentRevisionSource.Target;
import dev.knetty.common.RevisionKey;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.fabric8.kubernetes.api.model.autoscaling.v1.ScaleBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Scaler} of Deployments.
 *
 * <ul>
 *   <li><b>Ready pods</b> are the ready endpoints of the revision's private Service's
 *       EndpointSlices (from the informer cache). Not a Pod informer: the activators learn pods
 *       from the same EndpointSlices, so both agree on what "ready" means (the pod's Ready
 *       condition, not terminating), and an EndpointSlice informer keeps a few bytes per pod where
 *       Pods would keep whole pod specs. Changes are pushed to the listeners from the informer's
 *       handler.
 *   <li><b>Scaling</b> is one request: a {@code Scale} with the Deployment's {@code
 *       resourceVersion} from the cache, to the {@code scale} subresource (optimistic locking: a
 *       conflict fails the request and the autoscaler asks again a second later). A Deployment
 *       already at the asked replicas costs no request. Requests run on their own thread; only the
 *       leader scales.
 *   <li><b>The activator is in the path</b> when the public EndpointSlice in the cache holds
 *       activator endpoints only, and the activator answers Knative's probe through the public
 *       Service ({@link ActivatorProbe}).
 *   <li><b>Adopted replicas</b> are the Deployment's {@code spec.replicas} while the revision
 *       source delivers the revisions a new leader finds.
 * </ul>
 */
final class KubernetesScaler implements Scaler {

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesScaler.class);

  private final KubernetesClient client;
  private final ClusterCache cache;
  private final DeploymentRevisionSource revisions;
  private final Leadership leadership;
  private final ActivatorProbe probe;
  private final ExecutorService writes;
  private final List<ReadyPodsListener> listeners = new CopyOnWriteArrayList<>();
  private final Map<RevisionKey, Integer> ready = new ConcurrentHashMap<>();

  KubernetesScaler(
      KubernetesClient client,
      ClusterCache cache,
      DeploymentRevisionSource revisions,
      Leadership leadership,
      ActivatorProbe probe,
      ExecutorService writes) {
    this.client = Objects.requireNonNull(client, "client");
    this.cache = Objects.requireNonNull(cache, "cache");
    this.revisions = Objects.requireNonNull(revisions, "revisions");
    this.leadership = Objects.requireNonNull(leadership, "leadership");
    this.probe = Objects.requireNonNull(probe, "probe");
    this.writes = Objects.requireNonNull(writes, "writes");
    ClusterCache.onChange(cache.slices, this::sliceChanged);
  }

  @Override
  public int readyPods(RevisionKey key) {
    if (!cache.slices.hasSynced()) {
      return UNKNOWN;
    }
    return cache.readyPodIps(key).size();
  }

  @Override
  public int adoptedReplicas(RevisionKey key) {
    Deployment d = revisions.adopting(key) ? deployment(key) : null;
    return d == null ? UNKNOWN : replicas(d);
  }

  @Override
  public CompletionStage<Void> scale(RevisionKey key, int replicas) {
    if (!leadership.leading()) {
      return CompletableFuture.failedFuture(
          new IllegalStateException(key + ": not scaled to " + replicas + ", not the leader"));
    }
    Deployment d = deployment(key);
    if (d == null) {
      return CompletableFuture.failedFuture(
          new IllegalStateException(key + ": no Deployment to scale to " + replicas));
    }
    if (replicas(d) == replicas) {
      return CompletableFuture.completedFuture(null);
    }
    String namespace = d.getMetadata().getNamespace();
    String name = d.getMetadata().getName();
    Scale scale =
        new ScaleBuilder()
            .withNewMetadata()
            .withNamespace(namespace)
            .withName(name)
            .withResourceVersion(d.getMetadata().getResourceVersion())
            .endMetadata()
            .withNewSpec()
            .withReplicas(replicas)
            .endSpec()
            .build();
    return CompletableFuture.runAsync(
        () -> {
          if (!leadership.leading()) {
            throw new IllegalStateException(key + ": not scaled, no longer the leader");
          }
          client.apps().deployments().inNamespace(namespace).withName(name).scale(scale);
          LOG.info("Revision {}: Deployment {} scaled to {}", key, name, replicas);
        },
        writes);
  }

  @Override
  public CompletionStage<Boolean> activatorInPath(RevisionKey key) {
    Target t = revisions.target(key);
    if (t == null || !proxying(key)) {
      return CompletableFuture.completedFuture(false);
    }
    return probe.probe(key, t.h2c());
  }

  /** Whether the public EndpointSlice in the cache holds activator endpoints, and only them. */
  boolean proxying(RevisionKey key) {
    List<EndpointSlice> slices = cache.slicesOf(key, KnettyKeys.SERVICE_TYPE_PUBLIC);
    List<String> published = ClusterCache.readyAddresses(slices);
    Set<String> activators = new HashSet<>(cache.activatorIps());
    return !published.isEmpty() && activators.containsAll(published);
  }

  @Override
  public void addReadyPodsListener(ReadyPodsListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public void removeReadyPodsListener(ReadyPodsListener listener) {
    listeners.remove(listener);
  }

  /** A private EndpointSlice changed: tell the listeners if its revision's ready count did. */
  private void sliceChanged(EndpointSlice s) {
    RevisionKey key = ClusterCache.revisionKeyOf(s);
    if (key == null
        || !KnettyKeys.SERVICE_TYPE_PRIVATE.equals(
            s.getMetadata().getLabels().get(KnettyKeys.SERVICE_TYPE_LABEL))) {
      return;
    }
    int n = cache.readyPodIps(key).size();
    Integer old =
        cache.slicesOf(key, KnettyKeys.SERVICE_TYPE_PRIVATE).isEmpty()
            ? ready.remove(key) // the Service is gone
            : ready.put(key, n);
    if (old == null || old != n) {
      for (ReadyPodsListener l : listeners) {
        l.readyPodsChanged(key, n);
      }
    }
  }

  private Deployment deployment(RevisionKey key) {
    Target t = revisions.target(key);
    return t == null ? null : cache.deployment(key.namespace(), t.deployment());
  }

  /** {@code spec.replicas}; unset counts as 1, as Kubernetes defaults it (and Knative reads it). */
  private static int replicas(Deployment d) {
    Integer r = d.getSpec() == null ? null : d.getSpec().getReplicas();
    return r == null ? 1 : r;
  }
}
