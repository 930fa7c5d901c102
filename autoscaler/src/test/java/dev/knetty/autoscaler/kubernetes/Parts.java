package dev.knetty.autoscaler.kubernetes;

import dev.knetty.autoscaler.server.RevisionSource;
import dev.knetty.autoscaler.server.RevisionSpec;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.config.RevisionDefaults;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The Kubernetes parts of one replica without the autoscaler server: the caches, the revision
 * source (with a listener that records), the scaler and the reconciler, on a mock cluster, in one
 * namespace. Close after each test.
 */
final class Parts implements AutoCloseable {

  final String namespace;
  final KubernetesClient client;
  final KubernetesConfig config;
  final ClusterCache cache;
  final Leadership leadership = new Leadership();
  final ScheduledExecutorService writes = Executors.newSingleThreadScheduledExecutor();
  final EventRecorder events;
  final DeploymentRevisionSource source;
  final KubernetesScaler scaler;
  final ServiceReconciler reconciler;
  final Map<RevisionKey, RevisionSpec> delivered = new ConcurrentHashMap<>();
  final List<String> stopped = new java.util.concurrent.CopyOnWriteArrayList<>();

  Parts(MockCluster cluster, String namespace, AutoscalerConfig autoscaler, URI probeTarget) {
    this.namespace = namespace;
    this.client = cluster.client("parts-" + namespace);
    this.config = TestObjects.config(namespace, "parts", "10.0.0.9");
    this.cache = new ClusterCache(client, config, (name, cause) -> stopped.add(name));
    this.events = new EventRecorder(client, leadership, "parts", writes, Clock.systemUTC());
    this.source =
        new DeploymentRevisionSource(
            cache, leadership, autoscaler, RevisionDefaults.defaults(), events);
    this.scaler =
        new KubernetesScaler(
            client,
            cache,
            source,
            leadership,
            new ActivatorProbe(
                HttpClient.newHttpClient(), Duration.ofSeconds(5), (key, h2c) -> probeTarget),
            writes);
    this.reconciler = new ServiceReconciler(client, cache, source, leadership, events);
    source.start(
        new RevisionSource.Listener() {
          @Override
          public void upsert(RevisionSpec spec) {
            delivered.put(spec.key(), spec);
          }

          @Override
          public void remove(RevisionKey key) {
            delivered.remove(key);
          }
        });
  }

  /** Fills the caches. */
  Parts start() {
    cache.start(Duration.ofSeconds(30));
    return this;
  }

  /** The Warning Events on Deployment {@code name} with {@code reason}. */
  List<Event> events(String name, String reason) {
    return client.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> e.getInvolvedObject().getName().equals(name))
        .filter(e -> e.getReason().equals(reason))
        .toList();
  }

  RevisionKey key(String revision) {
    return new RevisionKey(namespace, revision);
  }

  @Override
  public void close() {
    reconciler.close();
    source.close();
    cache.close();
    writes.shutdownNow();
    client.close();
  }
}
