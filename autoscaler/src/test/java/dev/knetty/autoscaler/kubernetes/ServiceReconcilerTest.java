package dev.knetty.autoscaler.kubernetes;

import static dev.knetty.autoscaler.kubernetes.TestObjects.activators;
import static dev.knetty.autoscaler.kubernetes.TestObjects.create;
import static dev.knetty.autoscaler.kubernetes.TestObjects.deployment;
import static dev.knetty.autoscaler.kubernetes.TestObjects.pods;
import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.autoscaler.Decision;
import dev.knetty.autoscaler.SksMode;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.subset.ConsistentSubset;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Services and the public EndpointSlice a revision's Deployment owns, and their modes. */
class ServiceReconcilerTest extends OnMockCluster {

  private static final List<String> ACTIVATORS = List.of("10.1.0.1", "10.1.0.2", "10.1.0.3");

  /** A leading replica in {@code namespace} with revision hello-1 of Deployment hello. */
  private Deployment revision(String namespace, Deployment d, boolean lead) {
    Deployment created = create(admin, d);
    parts =
        new Parts(
                cluster, namespace, AutoscalerConfig.defaults(), URI.create("http://127.0.0.1:9/"))
            .start();
    if (lead) {
      parts.leadership.start();
    }
    RevisionKey key = parts.key(created.getMetadata().getLabels().get(KnettyKeys.REVISION_LABEL));
    eventually().until(() -> parts.source.target(key) != null);
    return created;
  }

  private Service service(String name) {
    return admin.services().inNamespace(parts.namespace).withName(name).get();
  }

  private EndpointSlice slice(String name) {
    return admin
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace(parts.namespace)
        .withName(name)
        .get();
  }

  private List<String> publicAddresses(String revision) {
    EndpointSlice s = slice(revision);
    return s == null
        ? List.of()
        : s.getEndpoints().stream().map(e -> e.getAddresses().get(0)).sorted().toList();
  }

  private static void assertOwnedBy(HasMetadata o, Deployment d) {
    assertThat(o.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            (OwnerReference r) -> {
              assertThat(r.getKind()).isEqualTo("Deployment");
              assertThat(r.getApiVersion()).isEqualTo("apps/v1");
              assertThat(r.getName()).isEqualTo(d.getMetadata().getName());
              assertThat(r.getUid()).isEqualTo(d.getMetadata().getUid());
              assertThat(r.getController()).isTrue();
            });
  }

  private Decision decision(String revision, SksMode mode, int activators) {
    return new Decision(parts.key(revision), 3, 3, 0, mode, activators, 1);
  }

  @Test
  void createsOwnedServicesAndProxiesThroughTheActivatorSubset() {
    activators(admin, "owned", ACTIVATORS);
    pods(admin, "owned", "hello-1", List.of("10.2.0.1"), List.of());
    Deployment d = revision("owned", deployment("owned", "hello", "hello-1", 1), true);

    eventually().until(() -> slice("hello-1") != null);
    Service priv = service("hello-1-private");
    assertOwnedBy(priv, d);
    assertThat(priv.getMetadata().getLabels())
        .containsEntry(KnettyKeys.REVISION_LABEL, "hello-1")
        .containsEntry(KnettyKeys.SERVICE_TYPE_LABEL, "private");
    assertThat(priv.getSpec().getSelector())
        .containsExactly(Map.entry(KnettyKeys.REVISION_LABEL, "hello-1"));
    assertThat(priv.getSpec().getPorts())
        .extracting(ServicePort::getName, ServicePort::getPort, p -> p.getTargetPort().getIntVal())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("http", 80, 8012),
            org.assertj.core.groups.Tuple.tuple("http-queueadm", 8022, 8022),
            org.assertj.core.groups.Tuple.tuple("http-autometric", 9090, 9090),
            org.assertj.core.groups.Tuple.tuple("http-usermetric", 9091, 9091));

    Service pub = service("hello-1");
    assertOwnedBy(pub, d);
    assertThat(pub.getSpec().getSelector()).isNullOrEmpty();
    assertThat(pub.getSpec().getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getName()).isEqualTo("http");
              assertThat(p.getPort()).isEqualTo(80);
              assertThat(p.getTargetPort()).isEqualTo(new IntOrString(8012));
            });

    // Before any decision: proxy, through Knative's two activators of the revision.
    EndpointSlice s = slice("hello-1");
    assertOwnedBy(s, d);
    assertThat(s.getMetadata().getLabels())
        .containsEntry(KnettyKeys.SERVICE_NAME_LABEL, "hello-1")
        .containsEntry(KnettyKeys.MANAGED_BY_LABEL, "knetty.dev");
    assertThat(publicAddresses("hello-1"))
        .isEqualTo(ConsistentSubset.choose(ACTIVATORS, 2, "hello-1"))
        .hasSize(2);
    assertThat(s.getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getName()).isEqualTo("http");
              assertThat(p.getPort()).isEqualTo(8012);
            });
    assertThat(s.getEndpoints()).allSatisfy(e -> assertThat(e.getConditions().getReady()).isTrue());
  }

  @Test
  void decisionsFlipThePublicEndpointsBetweenPodsAndActivators() {
    activators(admin, "flip", ACTIVATORS);
    pods(admin, "flip", "hello-1", List.of("10.2.0.1", "10.2.0.2"), List.of("10.2.0.3"));
    revision("flip", deployment("flip", "hello", "hello-1", 2), true);
    eventually().until(() -> publicAddresses("hello-1").size() == 2);

    parts.reconciler.onDecision(decision("hello-1", SksMode.SERVE, 2));
    eventually().until(() -> publicAddresses("hello-1").equals(List.of("10.2.0.1", "10.2.0.2")));
    assertThat(slice("hello-1").getEndpoints())
        .extracting(Endpoint::getTargetRef)
        .extracting(r -> r.getName())
        .containsExactly("pod-10-2-0-1", "pod-10-2-0-2");

    // Serve follows the pods.
    pods(admin, "flip", "hello-1", List.of("10.2.0.1", "10.2.0.2", "10.2.0.3"), List.of());
    eventually().until(() -> publicAddresses("hello-1").size() == 3);

    // Proxy with 3 activators wanted: all of them.
    parts.reconciler.onDecision(decision("hello-1", SksMode.PROXY, 3));
    eventually().until(() -> publicAddresses("hello-1").equals(ACTIVATORS));

    // Knative's SKS overrides: serving without ready pods proxies...
    parts.reconciler.onDecision(decision("hello-1", SksMode.SERVE, 2));
    eventually().until(() -> publicAddresses("hello-1").get(0).startsWith("10.2."));
    pods(admin, "flip", "hello-1", List.of(), List.of("10.2.0.1"));
    eventually()
        .until(
            () ->
                publicAddresses("hello-1")
                    .equals(ConsistentSubset.choose(ACTIVATORS, 2, "hello-1")));

    // ... and proxying without activators serves.
    pods(admin, "flip", "hello-1", List.of("10.2.0.1"), List.of());
    parts.reconciler.onDecision(decision("hello-1", SksMode.PROXY, 2));
    activators(admin, "flip", List.of());
    eventually().until(() -> publicAddresses("hello-1").equals(List.of("10.2.0.1")));
  }

  @Test
  void anH2cRevisionServesOnTheH2cPorts() {
    pods(admin, "h2c", "grpc-1", List.of("10.2.0.1"), List.of());
    Deployment d =
        new DeploymentBuilder(deployment("h2c", "grpc", "grpc-1", 1))
            .editSpec()
            .editTemplate()
            .editSpec()
            .editFirstContainer()
            .editFirstPort()
            .withName("h2c")
            .endPort()
            .endContainer()
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    revision("h2c", d, true);
    eventually().until(() -> slice("grpc-1") != null);
    parts.reconciler.onDecision(decision("grpc-1", SksMode.SERVE, 2));
    eventually().until(() -> publicAddresses("grpc-1").equals(List.of("10.2.0.1")));

    for (Service s : List.of(service("grpc-1"), service("grpc-1-private"))) {
      ServicePort p = s.getSpec().getPorts().get(0);
      assertThat(p.getName()).isEqualTo("http2");
      assertThat(p.getPort()).isEqualTo(81);
      assertThat(p.getTargetPort()).isEqualTo(new IntOrString(8013));
      assertThat(p.getAppProtocol()).isEqualTo("kubernetes.io/h2c");
    }
    assertThat(slice("grpc-1").getPorts().get(0).getName()).isEqualTo("http2");
    assertThat(slice("grpc-1").getPorts().get(0).getPort()).isEqualTo(8013);
  }

  @Test
  void aServiceKnettyDoesNotOwnIsNeverOverwritten() throws Exception {
    Service foreign =
        admin
            .services()
            .resource(
                new ServiceBuilder()
                    .withNewMetadata()
                    .withNamespace("foreign")
                    .withName("hello-1")
                    .endMetadata()
                    .withNewSpec()
                    .withSelector(Map.of("app", "legacy"))
                    .addNewPort()
                    .withName("web")
                    .withPort(8080)
                    .endPort()
                    .endSpec()
                    .build())
            .create();
    activators(admin, "foreign", ACTIVATORS);
    revision("foreign", deployment("foreign", "hello", "hello-1", 1), true);

    eventually().until(() -> !parts.events("hello", "ServiceConflict").isEmpty());
    assertThat(parts.events("hello", "ServiceConflict").get(0).getMessage())
        .startsWith("Service hello-1 exists and is not owned by this Deployment");
    assertThat(service("hello-1")).isEqualTo(foreign);
    assertThat(slice("hello-1")).isNull();

    // Whatever triggers the revision again, no second Event and still no write.
    pods(admin, "foreign", "hello-1", List.of("10.2.0.1"), List.of());
    parts.reconciler.reconcile(parts.key("hello-1"));
    parts.writes.submit(() -> {}).get();
    assertThat(parts.events("hello", "ServiceConflict")).hasSize(1);
    assertThat(service("hello-1")).isEqualTo(foreign);
  }

  @Test
  void changesToWhatKnettyOwnsAreUndone() {
    activators(admin, "drift", ACTIVATORS);
    revision("drift", deployment("drift", "hello", "hello-1", 1), true);
    eventually().until(() -> publicAddresses("hello-1").size() == 2);

    admin
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace("drift")
        .withName("hello-1")
        .edit(
            s -> {
              s.setEndpoints(List.of());
              return s;
            });
    eventually().until(() -> publicAddresses("hello-1").size() == 2);

    admin.services().inNamespace("drift").withName("hello-1-private").delete();
    eventually().until(() -> service("hello-1-private") != null);
  }

  @Test
  void aFollowerWritesNothing() throws Exception {
    activators(admin, "follow", ACTIVATORS);
    pods(admin, "follow", "hello-1", List.of("10.2.0.1"), List.of());
    revision("follow", deployment("follow", "hello", "hello-1", 1), false);
    parts.reconciler.onDecision(decision("hello-1", SksMode.SERVE, 2));
    parts.reconciler.reconcile(parts.key("hello-1"));
    parts.writes.submit(() -> {}).get();

    assertThat(cluster.writesBy("parts-follow")).isEmpty();
    assertThat(service("hello-1")).isNull();

    // Once it leads, it writes.
    parts.leadership.start();
    eventually().until(() -> publicAddresses("hello-1").equals(List.of("10.2.0.1")));
  }
}
