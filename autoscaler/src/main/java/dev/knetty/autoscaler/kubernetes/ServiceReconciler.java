package dev.knetty.autoscaler.kubernetes;

import dev.knetty.autoscaler.Decision;
import dev.knetty.autoscaler.DecisionListener;
import dev.knetty.autoscaler.RevisionDecider;
import dev.knetty.autoscaler.SksMode;
import dev.knetty.autoscaler.kubernetes.DeploymentRevisionSource.Target;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.subset.ConsistentSubset;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Knative's ServerlessService for plain Deployments: per revision, the autoscaler owns
 *
 * <ul>
 *   <li>the <b>private</b> Service {@code <revision>-private}, selecting the revision's pods
 *       ({@value KnettyKeys#REVISION_LABEL}), port {@code http} 80 to the queue-proxy's 8012
 *       ({@code http2} 81 to 8013 for h2c revisions) plus the queue-proxy's admin, stats and
 *       metrics ports. Kubernetes derives its EndpointSlices, whose ready endpoints are the
 *       revision's ready pods;
 *   <li>the <b>public</b> Service {@code <revision>}, without selector, the same serving port;
 *   <li>the public Service's EndpointSlice {@code <revision>} ({@value
 *       KnettyKeys#MANAGED_BY_LABEL}={@value KnettyKeys#ENDPOINT_SLICE_MANAGER}): in <b>proxy</b>
 *       mode the revision's activators, {@code ChooseSubset(activator IPs, numActivators,
 *       revision)} ({@link ConsistentSubset}, all of them when {@code numActivators} is 0 or at
 *       least their number), on the activators' port; in <b>serve</b> mode the ready pods on the
 *       queue-proxy's serving port.
 * </ul>
 *
 * <p>Every object has the Deployment as its controlling owner, so deleting the Deployment deletes
 * them. The mode is the autoscaler's ({@link Decision#mode()}, Knative's {@code kpa.go} rule), with
 * the ServerlessService's overrides: proxy while no pod is ready, serve while there are no
 * activator endpoints. Before the first decision a revision is proxied.
 *
 * <p>An object of one of these names that the Deployment does not control is never overwritten: a
 * Warning Event ({@value #CONFLICT}) on the Deployment says which, and the revision's networking is
 * left alone (it then never scales to zero: the activator cannot be confirmed in its path).
 *
 * <p>Only the leader writes. Work is coalesced by revision onto one thread; informer handlers and
 * decisions only queue a revision. A failed write is retried after a second.
 */
final class ServiceReconciler implements DecisionListener, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ServiceReconciler.class);

  static final String CONFLICT = "ServiceConflict";

  /** Knative's public and private Service ports and their names. */
  static final int HTTP_PORT = 80;

  static final int H2C_PORT = 81;
  static final String HTTP_PORT_NAME = "http";
  static final String H2C_PORT_NAME = "http2";

  /** The application protocol of h2c ports (KEP-3726). */
  static final String H2C_APP_PROTOCOL = "kubernetes.io/h2c";

  private static final Duration RETRY = Duration.ofSeconds(1);

  private final KubernetesClient client;
  private final KubernetesSerialization serialization;
  private final ClusterCache cache;
  private final DeploymentRevisionSource revisions;
  private final Leadership leadership;
  private final EventRecorder events;
  private final ScheduledExecutorService executor;
  private final ConcurrentHashMap<RevisionKey, Decision> decisions = new ConcurrentHashMap<>();
  private final Set<RevisionKey> pending = ConcurrentHashMap.newKeySet();
  private final RateLimitedLog failureLog = new RateLimitedLog(Duration.ofSeconds(30));

  ServiceReconciler(
      KubernetesClient client,
      ClusterCache cache,
      DeploymentRevisionSource revisions,
      Leadership leadership,
      EventRecorder events) {
    this.client = Objects.requireNonNull(client, "client");
    this.serialization = client.getKubernetesSerialization();
    this.cache = Objects.requireNonNull(cache, "cache");
    this.revisions = Objects.requireNonNull(revisions, "revisions");
    this.leadership = Objects.requireNonNull(leadership, "leadership");
    this.events = Objects.requireNonNull(events, "events");
    ScheduledThreadPoolExecutor e =
        new ScheduledThreadPoolExecutor(1, new DefaultThreadFactory("knetty-reconciler", true));
    e.setRemoveOnCancelPolicy(true);
    this.executor = e;

    revisions.addChangeListener(this::enqueue);
    // Pods of a revision changed (serve-mode endpoints), or someone changed what we own.
    ClusterCache.onChange(cache.slices, s -> enqueue(ClusterCache.revisionKeyOf(s)));
    ClusterCache.onChange(cache.services, s -> enqueue(ClusterCache.revisionKeyOf(s)));
    // The activators changed: every proxied revision's subset may move.
    ClusterCache.onChange(cache.activatorSlices, s -> enqueueAll());
    leadership.onStart(this::enqueueAll);
  }

  /** The autoscaler's decision, on its scheduler: remembered, and the revision queued. */
  @Override
  public void onDecision(Decision decision) {
    Decision old = decisions.put(decision.key(), decision);
    if (old == null || old.mode() != decision.mode() || old.activators() != decision.activators()) {
      enqueue(decision.key());
    }
  }

  /** Stops reconciling. */
  @Override
  public void close() {
    executor.shutdownNow();
  }

  private void enqueueAll() {
    revisions.keys().forEach(this::enqueue);
  }

  private void enqueue(RevisionKey key) {
    if (key != null && pending.add(key)) {
      try {
        executor.execute(() -> run(key));
      } catch (RejectedExecutionException e) {
        pending.remove(key);
      }
    }
  }

  private void retryLater(RevisionKey key) {
    try {
      executor.schedule(() -> enqueue(key), RETRY.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      LOG.debug("Reconciler closed, not retrying {}", key);
    }
  }

  private void run(RevisionKey key) {
    pending.remove(key);
    try {
      reconcile(key);
    } catch (KubernetesClientException e) {
      if (failureLog.tryAcquire()) {
        LOG.warn(
            "Revision {}: Services or EndpointSlices not written, retrying: {}",
            key,
            e.getMessage());
      }
      retryLater(key);
    } catch (RuntimeException e) {
      LOG.warn("Revision {}: reconcile failed, retrying: {}", key, e.toString(), e);
      retryLater(key);
    }
  }

  /** One revision: its two Services and the public EndpointSlice, as they should be now. */
  void reconcile(RevisionKey key) {
    Target target = revisions.target(key);
    if (target == null) {
      decisions.remove(key); // gone: its objects go with the Deployment (owner references)
      return;
    }
    if (!leadership.leading()) {
      return;
    }
    Deployment d = cache.deployment(key.namespace(), target.deployment());
    if (d == null || !target.uid().equals(d.getMetadata().getUid())) {
      return;
    }
    if (ensure(d, privateService(target, d), cache.service(key.namespace(), privateName(key)))
        && ensure(d, publicService(target, d), cache.service(key.namespace(), key.name()))
        && ensure(d, publicSlice(target, d), cache.slice(key.namespace(), key.name()))) {
      events.resolved(d, CONFLICT);
    }
  }

  private static String privateName(RevisionKey key) {
    return KnettyKeys.privateServiceName(key.name());
  }

  // --- desired objects ---

  private Service privateService(Target t, Deployment owner) {
    boolean h2c = t.h2c();
    return new ServiceBuilder()
        .withMetadata(meta(owner, privateName(t.key()), KnettyKeys.SERVICE_TYPE_PRIVATE))
        .withNewSpec()
        .withType("ClusterIP")
        .withSelector(Map.of(KnettyKeys.REVISION_LABEL, t.key().name()))
        .withPorts(
            servingPort(h2c),
            port("http-queueadm", RevisionPods.ADMIN_PORT),
            port("http-autometric", RevisionPods.STATS_PORT),
            port("http-usermetric", RevisionPods.METRICS_PORT))
        .endSpec()
        .build();
  }

  private Service publicService(Target t, Deployment owner) {
    return new ServiceBuilder()
        .withMetadata(meta(owner, t.key().name(), KnettyKeys.SERVICE_TYPE_PUBLIC))
        .withNewSpec()
        .withType("ClusterIP")
        .withPorts(servingPort(t.h2c()))
        .endSpec()
        .build();
  }

  /** The public endpoints: the activator subset (proxy) or the ready pods (serve). */
  private EndpointSlice publicSlice(Target t, Deployment owner) {
    RevisionKey key = t.key();
    List<Endpoint> pods =
        ClusterCache.readyEndpoints(cache.slicesOf(key, KnettyKeys.SERVICE_TYPE_PRIVATE));
    List<Endpoint> activators =
        ClusterCache.readyEndpoints(cache.activatorSlices.getIndexer().list());
    SksMode mode = mode(key, pods.size(), activators.size());
    List<Endpoint> chosen;
    int port;
    if (mode == SksMode.PROXY) {
      Decision d = decisions.get(key);
      int n = d == null ? RevisionDecider.MIN_ACTIVATORS : d.activators();
      chosen = subset(activators, n, key.name());
      port = cache.activatorPort(RevisionPods.SERVING_PORT);
    } else {
      chosen = pods;
      port = RevisionPods.servingPort(t.h2c());
    }
    ObjectMeta meta = meta(owner, key.name(), KnettyKeys.SERVICE_TYPE_PUBLIC);
    meta.getLabels().put(KnettyKeys.SERVICE_NAME_LABEL, key.name());
    meta.getLabels().put(KnettyKeys.MANAGED_BY_LABEL, KnettyKeys.ENDPOINT_SLICE_MANAGER);
    return new EndpointSliceBuilder()
        .withMetadata(meta)
        .withAddressType(addressType(chosen))
        .withEndpoints(published(chosen))
        .addNewPort()
        .withName(t.h2c() ? H2C_PORT_NAME : HTTP_PORT_NAME)
        .withPort(port)
        .withProtocol("TCP")
        .withAppProtocol(t.h2c() ? H2C_APP_PROTOCOL : null)
        .endPort()
        .build();
  }

  /**
   * Knative's mode with the ServerlessService's overrides: proxy without ready pods, serve without
   * activators; proxy before the first decision.
   */
  SksMode mode(RevisionKey key, int readyPods, int activators) {
    Decision d = decisions.get(key);
    SksMode mode = d == null ? SksMode.PROXY : d.mode();
    if (mode == SksMode.SERVE && readyPods == 0) {
      return SksMode.PROXY;
    }
    if (mode == SksMode.PROXY && activators == 0) {
      return SksMode.SERVE;
    }
    return mode;
  }

  /** Knative's {@code subsetEndpoints}: all when n is 0 or covers them, else ChooseSubset. */
  private static List<Endpoint> subset(List<Endpoint> activators, int n, String revision) {
    if (n == 0 || n >= activators.size()) {
      return activators;
    }
    Map<String, Endpoint> byIp = new HashMap<>();
    activators.forEach(e -> byIp.put(e.getAddresses().get(0), e));
    List<Endpoint> chosen = new ArrayList<>(n);
    for (String ip : ConsistentSubset.choose(byIp.keySet(), n, revision)) {
      chosen.add(byIp.get(ip));
    }
    return chosen;
  }

  /** Ready endpoints as published: the address, ready, and where they run. */
  private static List<Endpoint> published(List<Endpoint> from) {
    List<Endpoint> out = new ArrayList<>(from.size());
    for (Endpoint e : from) {
      out.add(
          new EndpointBuilder()
              .withAddresses(e.getAddresses().get(0))
              .withNewConditions()
              .withReady(true)
              .withServing(true)
              .withTerminating(false)
              .endConditions()
              .withTargetRef(e.getTargetRef())
              .withNodeName(e.getNodeName())
              .withZone(e.getZone())
              .build());
    }
    return out;
  }

  private static String addressType(List<Endpoint> endpoints) {
    return !endpoints.isEmpty() && endpoints.get(0).getAddresses().get(0).contains(":")
        ? "IPv6"
        : "IPv4";
  }

  private static ServicePort servingPort(boolean h2c) {
    return new ServicePortBuilder()
        .withName(h2c ? H2C_PORT_NAME : HTTP_PORT_NAME)
        .withPort(h2c ? H2C_PORT : HTTP_PORT)
        .withTargetPort(new IntOrString(RevisionPods.servingPort(h2c)))
        .withProtocol("TCP")
        .withAppProtocol(h2c ? H2C_APP_PROTOCOL : null)
        .build();
  }

  private static ServicePort port(String name, int port) {
    return new ServicePortBuilder()
        .withName(name)
        .withPort(port)
        .withTargetPort(new IntOrString(port))
        .withProtocol("TCP")
        .build();
  }

  private static ObjectMeta meta(Deployment owner, String name, String type) {
    Map<String, String> labels = new TreeMap<>();
    labels.put(KnettyKeys.REVISION_LABEL, ClusterCache.revisionOf(owner));
    labels.put(KnettyKeys.SERVICE_TYPE_LABEL, type);
    labels.put("app.kubernetes.io/managed-by", "knetty");
    ObjectMeta meta = new ObjectMeta();
    meta.setName(name);
    meta.setNamespace(owner.getMetadata().getNamespace());
    meta.setLabels(labels);
    meta.setOwnerReferences(List.of(controllerRef(owner)));
    return meta;
  }

  private static OwnerReference controllerRef(Deployment owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion("apps/v1")
        .withKind("Deployment")
        .withName(owner.getMetadata().getName())
        .withUid(owner.getMetadata().getUid())
        .withController(true)
        .build();
  }

  // --- writes ---

  /**
   * Creates {@code desired}, or updates {@code existing} (from the cache) to it; does nothing when
   * they agree.
   *
   * @return false when an object of that name exists that {@code owner} does not control, or this
   *     replica no longer leads
   */
  private <T extends HasMetadata> boolean ensure(Deployment owner, T desired, T existing) {
    if (!leadership.leading()) {
      return false; // no write after the leadership is gone
    }
    if (existing == null) {
      try {
        client.resource(desired).create();
        return true;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        // Exists, but not in our cache: it does not carry our label, so it is not ours.
        existing = client.resource(desired).get();
        if (existing == null) {
          throw e;
        }
      }
    }
    if (!controlledBy(existing, owner)) {
      events.warning(
          owner,
          CONFLICT,
          existing.getKind()
              + " "
              + existing.getMetadata().getName()
              + " exists and is not owned by this Deployment; Knetty does not overwrite it, so"
              + " revision "
              + ClusterCache.revisionOf(owner)
              + " gets no Services (expected: delete or rename that "
              + existing.getKind()
              + ")");
      return false;
    }
    T next = merged(existing, desired);
    if (!next.equals(existing)) {
      client.resource(next).update(); // with the cached resourceVersion: a conflict retries
    }
    return true;
  }

  /** {@code existing} with {@code desired}'s labels, owners and spec (its other fields kept). */
  private <T extends HasMetadata> T merged(T existing, T desired) {
    T next = serialization.clone(existing);
    Map<String, String> labels = new TreeMap<>();
    if (existing.getMetadata().getLabels() != null) {
      labels.putAll(existing.getMetadata().getLabels());
    }
    labels.putAll(desired.getMetadata().getLabels());
    next.getMetadata().setLabels(labels);
    next.getMetadata().setOwnerReferences(desired.getMetadata().getOwnerReferences());
    if (next instanceof Service) {
      Service s = (Service) next;
      Service want = (Service) desired;
      s.getSpec().setSelector(want.getSpec().getSelector());
      s.getSpec().setPorts(want.getSpec().getPorts());
      s.getSpec().setType(want.getSpec().getType());
    } else {
      EndpointSlice s = (EndpointSlice) next;
      EndpointSlice want = (EndpointSlice) desired;
      s.setAddressType(want.getAddressType());
      s.setEndpoints(want.getEndpoints());
      s.setPorts(want.getPorts());
    }
    return next;
  }

  private static boolean controlledBy(HasMetadata o, Deployment owner) {
    List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
    return refs != null
        && refs.stream()
            .anyMatch(
                r ->
                    Boolean.TRUE.equals(r.getController())
                        && owner.getMetadata().getUid().equals(r.getUid()));
  }
}
