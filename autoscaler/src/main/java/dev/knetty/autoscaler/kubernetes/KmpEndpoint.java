package dev.knetty.autoscaler.kubernetes;

import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How stats reach the replica that decides: the KMP Service ({@link KubernetesConfig#kmpService()},
 * the address every queue-proxy and activator dials) has no selector, and the leader publishes
 * itself as its only endpoint, in the EndpointSlice {@code <kmp-service>-leader}. After a fail-over
 * the new leader replaces the address; the clients' connections to the old leader break (it exits)
 * and their reconnects (with back-off) reach the new one. Followers receive no stats.
 *
 * <p>The slice is owned by the Service, so uninstalling the chart deletes it. A failed write is
 * retried until it succeeds or this replica stops leading. On a graceful stop the leader empties
 * the slice, so that clients stop dialing a replica that is going away.
 */
final class KmpEndpoint {

  private static final Logger LOG = LoggerFactory.getLogger(KmpEndpoint.class);

  /** The KMP Service's port name (the chart's). */
  static final String PORT_NAME = "kmp";

  private static final Duration RETRY = Duration.ofSeconds(2);

  private final KubernetesClient client;
  private final KubernetesConfig config;
  private final IntSupplier port;
  private final Leadership leadership;
  private final ScheduledExecutorService executor;

  KmpEndpoint(
      KubernetesClient client,
      KubernetesConfig config,
      IntSupplier port,
      Leadership leadership,
      ScheduledExecutorService executor) {
    this.client = Objects.requireNonNull(client, "client");
    this.config = Objects.requireNonNull(config, "config");
    this.port = Objects.requireNonNull(port, "port");
    this.leadership = Objects.requireNonNull(leadership, "leadership");
    this.executor = Objects.requireNonNull(executor, "executor");
    leadership.onStart(() -> schedule(0));
  }

  /** The slice's name. */
  String sliceName() {
    return config.kmpService() + "-leader";
  }

  private void schedule(long delayMillis) {
    try {
      executor.schedule(this::publish, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      LOG.debug("Shutting down, KMP endpoint not published");
    }
  }

  private void publish() {
    if (!leadership.leading()) {
      return;
    }
    try {
      write();
      LOG.info(
          "Leading: KMP Service {} now points at {}:{}",
          config.kmpService(),
          config.podIp(),
          port.getAsInt());
    } catch (KubernetesClientException e) {
      LOG.warn(
          "Cannot point KMP Service {} at this replica, retrying: {}",
          config.kmpService(),
          e.getMessage());
      schedule(RETRY.toMillis());
    }
  }

  /** Empties the slice if it names this replica (graceful stop of the leader). */
  void withdraw() {
    try {
      EndpointSlice current = slices().withName(sliceName()).get();
      if (current != null
          && current.getEndpoints().stream()
              .anyMatch(e -> e.getAddresses().contains(config.podIp()))) {
        current.setEndpoints(List.of());
        slices().resource(current).update(); // the version read: a new leader's write wins
        LOG.info("KMP Service {} no longer points at this replica", config.kmpService());
      }
    } catch (KubernetesClientException e) {
      LOG.warn(
          "Cannot withdraw this replica from KMP Service {}: {}",
          config.kmpService(),
          e.getMessage());
    }
  }

  private void write() {
    Service service =
        client.services().inNamespace(config.namespace()).withName(config.kmpService()).get();
    EndpointSliceBuilder b =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withName(sliceName())
            .withNamespace(config.namespace())
            .withLabels(
                Map.of(
                    KnettyKeys.SERVICE_NAME_LABEL,
                    config.kmpService(),
                    KnettyKeys.MANAGED_BY_LABEL,
                    KnettyKeys.ENDPOINT_SLICE_MANAGER))
            .endMetadata()
            .withAddressType(config.podIp().contains(":") ? "IPv6" : "IPv4")
            .addNewPort()
            .withName(PORT_NAME)
            .withPort(port.getAsInt())
            .withProtocol("TCP")
            .endPort();
    if (service != null) {
      b.editMetadata()
          .withOwnerReferences(
              new OwnerReferenceBuilder()
                  .withApiVersion("v1")
                  .withKind("Service")
                  .withName(service.getMetadata().getName())
                  .withUid(service.getMetadata().getUid())
                  .build())
          .endMetadata();
    } else {
      LOG.warn(
          "KMP Service {}/{} not found: queue-proxies and activators cannot reach the autoscaler"
              + " through it",
          config.namespace(),
          config.kmpService());
    }
    b.addNewEndpoint()
        .withAddresses(config.podIp())
        .withNewConditions()
        .withReady(true)
        .withServing(true)
        .withTerminating(false)
        .endConditions()
        .withTargetRef(
            new ObjectReferenceBuilder()
                .withKind("Pod")
                .withNamespace(config.namespace())
                .withName(config.podName())
                .build())
        .endEndpoint();
    EndpointSlice desired = b.build();
    EndpointSlice current = slices().withName(sliceName()).get();
    if (current == null) {
      slices().resource(desired).create();
    } else {
      desired.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
      slices().resource(desired).update();
    }
  }

  private NonNamespaceOperation<EndpointSlice, EndpointSliceList, Resource<EndpointSlice>>
      slices() {
    return client.discovery().v1().endpointSlices().inNamespace(config.namespace());
  }
}
