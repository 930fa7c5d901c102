package dev.knetty.autoscaler.kubernetes;

import static dev.knetty.autoscaler.kubernetes.TestObjects.activators;
import static dev.knetty.autoscaler.kubernetes.TestObjects.create;
import static dev.knetty.autoscaler.kubernetes.TestObjects.deployment;
import static dev.knetty.autoscaler.kubernetes.TestObjects.pods;
import static dev.knetty.autoscaler.kubernetes.TestObjects.privateSlice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.knetty.autoscaler.Decision;
import dev.knetty.autoscaler.Scaler;
import dev.knetty.autoscaler.SksMode;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.AutoscalerConfig;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Ready pods from EndpointSlices, scaling through the scale subresource, the activator check. */
class KubernetesScalerTest extends OnMockCluster {

  private RevisionKey revision(String namespace, int replicas, boolean lead) {
    create(admin, deployment(namespace, "hello", "hello-1", replicas));
    parts = new Parts(cluster, namespace, AutoscalerConfig.defaults(), activator.uri()).start();
    if (lead) {
      parts.leadership.start();
    }
    RevisionKey key = parts.key("hello-1");
    eventually().until(() -> parts.source.target(key) != null);
    return key;
  }

  private int replicas(String namespace) {
    return admin
        .apps()
        .deployments()
        .inNamespace(namespace)
        .withName("hello")
        .get()
        .getSpec()
        .getReplicas();
  }

  @Test
  void readyPodsAreTheReadyEndpointsOfThePrivateServiceAndChangesArePushed() {
    Map<RevisionKey, Integer> told = new ConcurrentHashMap<>();
    pods(admin, "ready", "hello-1", List.of("10.2.0.1", "10.2.0.2"), List.of("10.2.0.3"));
    // A second slice of the same Service: one address again, one more, one terminating.
    EndpointSlice second =
        privateSlice("ready", "hello-1", List.of("10.2.0.2", "10.2.0.4"), List.of());
    second.getMetadata().setName("hello-1-private-fghij");
    second.getEndpoints().get(0).getConditions().setReady(null); // unset: ready
    admin.discovery().v1().endpointSlices().resource(second).create();
    Parts unstarted = new Parts(cluster, "ready", AutoscalerConfig.defaults(), activator.uri());
    try {
      assertThat(unstarted.scaler.readyPods(new RevisionKey("ready", "hello-1")))
          .isEqualTo(Scaler.UNKNOWN);
    } finally {
      unstarted.close();
    }

    RevisionKey key = revision("ready", 3, false);
    parts.scaler.addReadyPodsListener(told::put);

    assertThat(parts.scaler.readyPods(key)).isEqualTo(3);
    assertThat(parts.scaler.readyPods(new RevisionKey("ready", "other"))).isZero();
    pods(admin, "ready", "hello-1", List.of("10.2.0.1", "10.2.0.2", "10.2.0.3"), List.of());
    eventually().until(() -> Integer.valueOf(4).equals(told.get(key)));
    assertThat(parts.scaler.readyPods(key)).isEqualTo(4);
  }

  @Test
  void scalingIsOneRequestToTheScaleSubresource() throws Exception {
    RevisionKey key = revision("scale", 1, true);

    parts.scaler.scale(key, 3).toCompletableFuture().get();

    assertThat(replicas("scale")).isEqualTo(3);
    assertThat(cluster.scaleWrites("scale", "hello"))
        .singleElement()
        .satisfies(w -> assertThat(w.method()).isEqualTo("PUT"));

    // Once the cache has it, asking for the same replicas costs nothing.
    eventually()
        .until(() -> parts.cache.deployment("scale", "hello").getSpec().getReplicas().equals(3));
    parts.scaler.scale(key, 3).toCompletableFuture().get();
    assertThat(cluster.scaleWrites("scale", "hello")).hasSize(1);
  }

  @Test
  void aFollowerDoesNotScale() {
    RevisionKey key = revision("noscale", 1, false);

    assertThatThrownBy(() -> parts.scaler.scale(key, 5).toCompletableFuture().get())
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("not the leader");
    assertThat(cluster.scaleWrites("noscale", "hello")).isEmpty();
    assertThat(replicas("noscale")).isEqualTo(1);
  }

  @Test
  void aScaleCarriesTheCachedVersionSoAStaleCacheFailsIt() {
    RevisionKey key = revision("stale", 1, true);
    // Freeze the cache, then change the Deployment: the cached resourceVersion is stale.
    parts.cache.deployments.stop();
    admin
        .apps()
        .deployments()
        .inNamespace("stale")
        .withName("hello")
        .edit(
            d -> {
              d.getMetadata().getLabels().put("touched", "yes");
              return d;
            });

    assertThatThrownBy(() -> parts.scaler.scale(key, 2).toCompletableFuture().get())
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("409");
    assertThat(replicas("stale")).isEqualTo(1);
    assertThat(parts.stopped).containsExactly("deployments"); // what exits a real replica
  }

  @Test
  void theActivatorIsInThePathOnlyWhenItIsThePublicEndpointAndAnswers() throws Exception {
    activators(admin, "path", List.of("10.1.0.1"));
    pods(admin, "path", "hello-1", List.of("10.2.0.1"), List.of());
    RevisionKey key = revision("path", 1, true);
    eventually().until(() -> parts.scaler.proxying(key)); // no decision yet: proxy

    activator.answering.set(false);
    assertThat(parts.scaler.activatorInPath(key).toCompletableFuture().get()).isFalse();
    activator.answering.set(true);
    assertThat(parts.scaler.activatorInPath(key).toCompletableFuture().get()).isTrue();

    // Serving: the pods are the endpoints, no probe is even sent.
    parts.reconciler.onDecision(new Decision(key, 1, 1, 0, SksMode.SERVE, 2, 1));
    eventually().until(() -> !parts.scaler.proxying(key));
    int probes = activator.probes.get();
    assertThat(parts.scaler.activatorInPath(key).toCompletableFuture().get()).isFalse();
    assertThat(activator.probes.get()).isEqualTo(probes);
  }
}
