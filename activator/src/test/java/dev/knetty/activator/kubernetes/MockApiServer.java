package dev.knetty.activator.kubernetes;

import dev.knetty.common.kubernetes.KnettyKeys;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * fabric8's mock API server in CRUD mode (watches included), with the objects the activator reads:
 * revision Deployments and the private and public EndpointSlices of their Services, as Kubernetes
 * and the autoscaler write them.
 */
public final class MockApiServer implements AutoCloseable {

  private final KubernetesMockServer server =
      new KubernetesMockServer(
          new Context(),
          new MockWebServer(),
          new HashMap<>(),
          new KubernetesCrudDispatcher(),
          false);
  private final KubernetesClient client;

  /** Starts the server and a client of it. */
  public MockApiServer() {
    server.init();
    client = server.createClient();
  }

  /** A client of the server; closed with it. */
  public KubernetesClient client() {
    return client;
  }

  /** Another client of the server, for the caller to close. */
  public KubernetesClient newClient() {
    return server.createClient();
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }

  /** Creates or replaces {@code d}. */
  public void apply(Deployment d) {
    client.apps().deployments().resource(d).createOr(op -> op.update());
  }

  /** Creates or replaces {@code s}. */
  public void apply(EndpointSlice s) {
    client.discovery().v1().endpointSlices().resource(s).createOr(op -> op.update());
  }

  /** Revision {@code revision}'s Deployment, with pod-template annotations as key, value pairs. */
  public static Deployment deployment(
      String namespace, String name, String revision, String... annotations) {
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
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  /**
   * An EndpointSlice of revision {@code revision}'s Service of {@code type} ({@link
   * KnettyKeys#SERVICE_TYPE_PRIVATE} or {@link KnettyKeys#SERVICE_TYPE_PUBLIC}), its serving port
   * named {@code portName}.
   */
  public static EndpointSlice slice(
      String namespace,
      String name,
      String revision,
      String type,
      String portName,
      int port,
      List<Endpoint> endpoints) {
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .addToLabels(KnettyKeys.REVISION_LABEL, revision)
        .addToLabels(KnettyKeys.SERVICE_TYPE_LABEL, type)
        .endMetadata()
        .withAddressType("IPv4")
        .addNewPort()
        .withName(portName)
        .withPort(port)
        .withProtocol("TCP")
        .endPort()
        .addNewPort()
        .withName("http-queueadm")
        .withPort(8022)
        .withProtocol("TCP")
        .endPort()
        .withEndpoints(endpoints)
        .build();
  }

  /** An endpoint with the given conditions ({@code null}: unset). */
  public static Endpoint endpoint(String ip, Boolean ready, Boolean serving, Boolean terminating) {
    return new EndpointBuilder()
        .withAddresses(ip)
        .withNewConditions()
        .withReady(ready)
        .withServing(serving)
        .withTerminating(terminating)
        .endConditions()
        .build();
  }

  /** A ready endpoint. */
  public static Endpoint ready(String ip) {
    return endpoint(ip, true, true, false);
  }
}
