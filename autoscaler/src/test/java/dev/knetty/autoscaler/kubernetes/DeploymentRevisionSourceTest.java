package dev.knetty.autoscaler.kubernetes;

import static dev.knetty.autoscaler.kubernetes.TestObjects.G;
import static dev.knetty.autoscaler.kubernetes.TestObjects.create;
import static dev.knetty.autoscaler.kubernetes.TestObjects.deployment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.autoscaler.server.RevisionSpec;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.AutoscalerConfig;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Deployments labelled knetty.dev/revision become revisions, checked, with Events. */
class DeploymentRevisionSourceTest extends OnMockCluster {

  private Parts start(String namespace) {
    parts =
        new Parts(
                cluster, namespace, AutoscalerConfig.defaults(), URI.create("http://127.0.0.1:9/"))
            .start();
    return parts;
  }

  private Parts lead(String namespace) {
    start(namespace).leadership.start();
    return parts;
  }

  private RevisionSpec delivered(String revision) {
    return parts.delivered.get(parts.key(revision));
  }

  private void edit(String name, java.util.function.UnaryOperator<Deployment> edit) {
    parts.client.apps().deployments().inNamespace(parts.namespace).withName(name).edit(edit);
  }

  private static Deployment annotate(Deployment d, String key, String value) {
    return new DeploymentBuilder(d)
        .editSpec()
        .editTemplate()
        .editMetadata()
        .addToAnnotations(key, value)
        .endMetadata()
        .endTemplate()
        .endSpec()
        .build();
  }

  /** Waits until everything queued so far was examined and its Events created. */
  private void settle() throws Exception {
    // A marker revision is examined after whatever was queued before it.
    String marker = "marker-" + System.nanoTime();
    create(parts.client, deployment(parts.namespace, marker, marker, 1));
    eventually().until(() -> parts.source.target(parts.key(marker)) != null);
    parts.writes.submit(() -> {}).get();
  }

  @Test
  void aFollowerChecksRevisionsButDeliversThemOnlyOnceItLeads() {
    start("follower");
    create(parts.client, deployment("follower", "hello", "hello-1", 1, G + "target", "5"));
    eventually().until(() -> parts.source.target(parts.key("hello-1")) != null);
    assertThat(parts.delivered).isEmpty();

    parts.leadership.start();

    eventually().until(() -> delivered("hello-1") != null);
    RevisionSpec spec = delivered("hello-1");
    assertThat(spec.containerConcurrency()).isZero();
    assertThat(spec.annotations()).containsExactly(Map.entry(G + "target", "5"));
    assertThat(spec.reachable()).isTrue();
    assertThat(parts.source.target(parts.key("hello-1")).deployment()).isEqualTo("hello");
    assertThat(parts.source.synced()).isTrue();
  }

  @Test
  void deploymentsAddUpdateAndRemoveRevisions() {
    lead("crud");
    create(
        parts.client,
        deployment(
            "crud",
            "web",
            "web-1",
            1,
            G + "target",
            "5",
            KnettyKeys.CONTAINER_CONCURRENCY,
            "7",
            "unrelated.example.com/x",
            "y"));
    eventually().until(() -> delivered("web-1") != null);
    assertThat(delivered("web-1").containerConcurrency()).isEqualTo(7);
    assertThat(delivered("web-1").annotations()).containsOnlyKeys(G + "target");

    edit("web", d -> annotate(d, G + "target", "9"));
    eventually().until(() -> "9".equals(delivered("web-1").annotations().get(G + "target")));

    parts.client.apps().deployments().inNamespace("crud").withName("web").delete();
    eventually().until(() -> delivered("web-1") == null);
    assertThat(parts.source.target(parts.key("web-1"))).isNull();
  }

  @Test
  void anInvalidAutoscalingAnnotationIsOneEventAndTheLastGoodSettingsStay() throws Exception {
    lead("invalid");
    create(parts.client, deployment("invalid", "api", "api-1", 1, G + "min-scale", "1"));
    eventually().until(() -> delivered("api-1") != null);

    edit("api", d -> annotate(d, G + "min-scale", "-3"));
    eventually().until(() -> !parts.events("api", "InvalidAnnotation").isEmpty());
    assertThat(parts.events("api", "InvalidAnnotation").get(0).getMessage())
        .contains(G + "min-scale: -3 (expected:")
        .endsWith("the revision keeps its last good settings");
    assertThat(parts.events("api", "InvalidAnnotation").get(0).getType()).isEqualTo("Warning");
    // Later updates of the Deployment do not repeat the Event.
    edit("api", d -> new DeploymentBuilder(d).editSpec().withReplicas(2).endSpec().build());
    settle();
    assertThat(parts.events("api", "InvalidAnnotation")).hasSize(1);
    assertThat(delivered("api-1").annotations()).containsEntry(G + "min-scale", "1");

    // Fixed, then broken again: a new Event.
    edit("api", d -> annotate(d, G + "min-scale", "2"));
    eventually().until(() -> "2".equals(delivered("api-1").annotations().get(G + "min-scale")));
    edit("api", d -> annotate(d, G + "min-scale", "-3"));
    eventually().until(() -> parts.events("api", "InvalidAnnotation").size() == 2);
  }

  @Test
  void aNewRevisionWithAnInvalidAnnotationIsNotAutoscaled() throws Exception {
    lead("fresh");
    create(parts.client, deployment("fresh", "api", "api-1", 1, G + "window", "2s"));
    eventually().until(() -> !parts.events("api", "InvalidAnnotation").isEmpty());
    assertThat(parts.events("api", "InvalidAnnotation").get(0).getMessage())
        .contains(G + "window: 2s")
        .endsWith("the revision is not autoscaled until this is fixed");
    settle();
    assertThat(delivered("api-1")).isNull();
  }

  @Test
  void aKnettyAnnotationOutOfRangeFallsBackWithAnEvent() {
    lead("lenient");
    create(
        parts.client,
        deployment("lenient", "svc", "svc-1", 1, KnettyKeys.CONTAINER_CONCURRENCY, "lots"));
    eventually().until(() -> delivered("svc-1") != null);
    assertThat(delivered("svc-1").containerConcurrency()).isZero();
    eventually().until(() -> !parts.events("svc", "InvalidAnnotation").isEmpty());
    assertThat(parts.events("svc", "InvalidAnnotation").get(0).getMessage())
        .isEqualTo(
            "knetty.dev/container-concurrency: \"lots\" (expected: an integer in [0, 1000]);"
                + " using 0");
  }

  @Test
  void aPodTemplateWithoutTheLabelIsNoRevision() throws Exception {
    lead("unlabelled");
    Deployment d =
        new DeploymentBuilder(deployment("unlabelled", "app", "app-1", 1))
            .editSpec()
            .editTemplate()
            .editMetadata()
            .withLabels(Map.of("app", "app"))
            .endMetadata()
            .endTemplate()
            .endSpec()
            .build();
    create(parts.client, d);
    eventually().until(() -> !parts.events("app", "InvalidRevision").isEmpty());
    assertThat(parts.events("app", "InvalidRevision").get(0).getMessage())
        .startsWith("the pod template has knetty.dev/revision=null (expected: app-1");
    settle();
    assertThat(delivered("app-1")).isNull();
  }

  @Test
  void aRevisionNameThatCannotNameAServiceIsRefused() {
    lead("names");
    create(parts.client, deployment("names", "app", "Hello_World", 1));
    eventually().until(() -> !parts.events("app", "InvalidRevision").isEmpty());
    assertThat(parts.events("app", "InvalidRevision").get(0).getMessage())
        .startsWith("knetty.dev/revision: \"Hello_World\" (expected: a DNS label of at most 55");
  }

  @Test
  void theOldestDeploymentOfARevisionWinsTheOthersGetAnEvent() {
    lead("conflict");
    create(parts.client, deployment("conflict", "first", "shared", 1));
    eventually().until(() -> delivered("shared") != null);
    create(parts.client, deployment("conflict", "second", "shared", 1));
    eventually().until(() -> !parts.events("second", "RevisionConflict").isEmpty());
    assertThat(parts.source.target(parts.key("shared")).deployment()).isEqualTo("first");

    parts.client.apps().deployments().inNamespace("conflict").withName("first").delete();
    eventually()
        .until(
            () -> {
              DeploymentRevisionSource.Target t = parts.source.target(parts.key("shared"));
              return t != null && t.deployment().equals("second");
            });
  }

  @Test
  void onlyTheWatchedNamespaceIsSeen() throws Exception {
    lead("watched");
    create(parts.client, deployment("elsewhere", "other", "other-1", 1));
    settle();
    assertThat(parts.source.target(new RevisionKey("elsewhere", "other-1"))).isNull();
  }

  @Test
  void aNewConfigAppliesToEveryRevision() {
    lead("reconfigured");
    create(parts.client, deployment("reconfigured", "big", "big-1", 1, G + "max-scale", "10"));
    eventually().until(() -> delivered("big-1") != null);

    parts.source.reconfigure(
        AutoscalerConfig.fromMap(Map.of("max-scale-limit", "5", "max-scale", "5")));

    eventually().until(() -> !parts.events("big", "InvalidAnnotation").isEmpty());
    assertThat(parts.events("big", "InvalidAnnotation").get(0).getMessage())
        .contains(G + "max-scale: 10");
  }
}
