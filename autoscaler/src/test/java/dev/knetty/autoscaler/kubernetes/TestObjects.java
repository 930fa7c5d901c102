package dev.knetty.autoscaler.kubernetes;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Kubernetes objects as the tests need them, and a Kubernetes-mode config for a namespace. */
final class TestObjects {

  private TestObjects() {}

  static final String ACTIVATOR_SERVICE = "knetty-activator";
  static final String KMP_SERVICE = "knetty-autoscaler";
  static final String G = "autoscaling.knative.dev/";

  /** A replica's config: everything in {@code namespace}, short leader-election timings. */
  static KubernetesConfig config(String namespace, String podName, String podIp) {
    return new KubernetesConfig(
        namespace,
        podName,
        podIp,
        namespace,
        "knetty-autoscaler-leader",
        Duration.ofMillis(2000),
        Duration.ofMillis(1500),
        Duration.ofMillis(250),
        ACTIVATOR_SERVICE,
        KMP_SERVICE,
        "cluster.local",
        Duration.ofSeconds(5),
        Duration.ofSeconds(30));
  }

  /** A Deployment of revision {@code revision}, the label on it and its pod template. */
  static Deployment deployment(
      String namespace, String name, String revision, int replicas, String... annotations) {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i < annotations.length; i += 2) {
      a.put(annotations[i], annotations[i + 1]);
    }
    return new DeploymentBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .addToLabels(KnettyKeys.REVISION_LABEL, revision)
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector()
        .addToMatchLabels(KnettyKeys.REVISION_LABEL, revision)
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .addToLabels(KnettyKeys.REVISION_LABEL, revision)
        .withAnnotations(a)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage("app:1")
        .addNewPort()
        .withContainerPort(8080)
        .endPort()
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  static Deployment create(KubernetesClient client, Deployment d) {
    return client.apps().deployments().resource(d).create();
  }

  /**
   * The EndpointSlice Kubernetes derives from a revision's private Service (it inherits the
   * Service's labels): {@code ready} addresses ready, {@code notReady} ones not.
   */
  static EndpointSlice privateSlice(
      String namespace, String revision, List<String> ready, List<String> notReady) {
    List<Endpoint> endpoints = new ArrayList<>();
    ready.forEach(ip -> endpoints.add(endpoint(ip, true)));
    notReady.forEach(ip -> endpoints.add(endpoint(ip, false)));
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(revision + "-private-abcde")
        .addToLabels(KnettyKeys.REVISION_LABEL, revision)
        .addToLabels(KnettyKeys.SERVICE_TYPE_LABEL, KnettyKeys.SERVICE_TYPE_PRIVATE)
        .addToLabels(KnettyKeys.SERVICE_NAME_LABEL, KnettyKeys.privateServiceName(revision))
        .addToLabels(KnettyKeys.MANAGED_BY_LABEL, "endpointslice-controller.k8s.io")
        .endMetadata()
        .withAddressType("IPv4")
        .withEndpoints(endpoints)
        .addNewPort()
        .withName("http")
        .withPort(RevisionPods.SERVING_PORT)
        .withProtocol("TCP")
        .endPort()
        .build();
  }

  /** Creates or replaces the private slice of {@code revision}. */
  static void pods(
      KubernetesClient client,
      String namespace,
      String revision,
      List<String> ready,
      List<String> notReady) {
    client
        .discovery()
        .v1()
        .endpointSlices()
        .resource(privateSlice(namespace, revision, ready, notReady))
        .createOr(op -> op.update());
  }

  /** Creates or replaces the activator Service's slice. */
  static void activators(KubernetesClient client, String namespace, List<String> ips) {
    List<Endpoint> endpoints = new ArrayList<>();
    ips.forEach(ip -> endpoints.add(endpoint(ip, true)));
    EndpointSlice slice =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withNamespace(namespace)
            .withName(ACTIVATOR_SERVICE + "-xyz12")
            .addToLabels(KnettyKeys.SERVICE_NAME_LABEL, ACTIVATOR_SERVICE)
            .endMetadata()
            .withAddressType("IPv4")
            .withEndpoints(endpoints)
            .addNewPort()
            .withName("http")
            .withPort(8012)
            .withProtocol("TCP")
            .endPort()
            .build();
    client.discovery().v1().endpointSlices().resource(slice).createOr(op -> op.update());
  }

  /** The chart's selector-less KMP Service. */
  static Service kmpService(KubernetesClient client, String namespace) {
    return client
        .services()
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(KMP_SERVICE)
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withName("kmp")
                .withPort(9095)
                .endPort()
                .endSpec()
                .build())
        .create();
  }

  private static Endpoint endpoint(String ip, boolean ready) {
    return new EndpointBuilder()
        .withAddresses(ip)
        .withNewConditions()
        .withReady(ready)
        .withServing(ready)
        .withTerminating(false)
        .endConditions()
        .withNewTargetRef()
        .withKind("Pod")
        .withName("pod-" + ip.replace('.', '-'))
        .endTargetRef()
        .build();
  }
}
