package dev.knetty.autoscaler.kubernetes.webhook;

import static dev.knetty.autoscaler.kubernetes.webhook.Fixtures.app;
import static dev.knetty.autoscaler.kubernetes.webhook.Fixtures.envFieldRefs;
import static dev.knetty.autoscaler.kubernetes.webhook.Fixtures.envNames;
import static dev.knetty.autoscaler.kubernetes.webhook.Fixtures.envValues;
import static dev.knetty.autoscaler.kubernetes.webhook.Fixtures.queueProxyOf;
import static dev.knetty.autoscaler.kubernetes.webhook.Fixtures.revisionPod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.knetty.autoscaler.kubernetes.KnettyKeys;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PodMutatorTest {

  private final KubernetesSerialization serialization = Fixtures.SERIALIZATION;
  private final PodMutator mutator = Fixtures.mutator();

  private PodMutator.Mutation mutate(Pod pod) {
    return mutator.mutate(pod);
  }

  private static JsonNode encodedProbe(Pod mutated) {
    try {
      return new ObjectMapper()
          .readTree(envValues(queueProxyOf(mutated)).get("SERVING_READINESS_PROBE"));
    } catch (JsonProcessingException e) {
      throw new AssertionError(e);
    }
  }

  private static Probe httpProbe(IntOrString port) {
    return new ProbeBuilder()
        .withNewHttpGet()
        .withPath("/ready")
        .withPort(port)
        .addNewHttpHeader("X-Probe", "1")
        .endHttpGet()
        .withInitialDelaySeconds(2)
        .withPeriodSeconds(5)
        .withTimeoutSeconds(3)
        .withSuccessThreshold(1)
        .withFailureThreshold(4)
        .build();
  }

  private static Container withProbe(Container c, Probe p) {
    return new ContainerBuilder(c).withReadinessProbe(p).build();
  }

  @Test
  void addsQueueProxyWithKnativeEnvironmentContract() {
    Pod pod =
        new PodBuilder(revisionPod(Map.of(), app(8080)))
            .editMetadata()
            .addToLabels(KnettyKeys.SERVICE_LABEL, "hello")
            .addToLabels(KnettyKeys.CONFIGURATION_LABEL, "hello-config")
            .endMetadata()
            .build();

    PodMutator.Mutation m = mutate(pod);

    assertThat(m.changed()).isTrue();
    assertThat(m.warnings()).isEmpty();
    assertThat(m.pod().getSpec().getContainers())
        .extracting(Container::getName)
        .containsExactly("app", "queue-proxy");
    Container qp = queueProxyOf(m.pod());
    assertThat(qp.getImage()).isEqualTo(Fixtures.QP_IMAGE);
    assertThat(qp.getCommand()).isEmpty();
    assertThat(envNames(qp))
        .containsExactlyInAnyOrder(
            "SERVING_NAMESPACE",
            "SERVING_SERVICE",
            "SERVING_CONFIGURATION",
            "SERVING_REVISION",
            "SERVING_POD",
            "SERVING_POD_IP",
            "QUEUE_SERVING_PORT",
            "QUEUE_ADMIN_PORT",
            "QUEUE_STATS_PORT",
            "QUEUE_METRICS_PORT",
            "USER_PORT",
            "CONTAINER_CONCURRENCY",
            "REVISION_TIMEOUT_SECONDS",
            "REVISION_RESPONSE_START_TIMEOUT_SECONDS",
            "REVISION_IDLE_TIMEOUT_SECONDS",
            "SERVING_READINESS_PROBE",
            "KNETTY_AUTOSCALER");
    assertThat(envValues(qp))
        .containsEntry("SERVING_SERVICE", "hello")
        .containsEntry("SERVING_CONFIGURATION", "hello-config")
        .containsEntry("SERVING_REVISION", "hello-00001")
        .containsEntry("QUEUE_SERVING_PORT", "8012")
        .containsEntry("QUEUE_ADMIN_PORT", "8022")
        .containsEntry("QUEUE_STATS_PORT", "9090")
        .containsEntry("QUEUE_METRICS_PORT", "9091")
        .containsEntry("USER_PORT", "8080")
        .containsEntry("CONTAINER_CONCURRENCY", "0")
        .containsEntry("REVISION_TIMEOUT_SECONDS", "300")
        // Knative: the 300 s response-start default applies only below the timeout.
        .containsEntry("REVISION_RESPONSE_START_TIMEOUT_SECONDS", "0")
        .containsEntry("REVISION_IDLE_TIMEOUT_SECONDS", "0")
        .containsEntry("KNETTY_AUTOSCALER", Fixtures.AUTOSCALER);
    assertThat(envFieldRefs(qp))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "SERVING_NAMESPACE", "metadata.namespace",
                "SERVING_POD", "metadata.name",
                "SERVING_POD_IP", "status.podIP"));
    assertThat(qp.getPorts())
        .extracting(ContainerPort::getName, ContainerPort::getContainerPort)
        .containsExactly(
            tuple("http", 8012),
            tuple("queue-admin", 8022),
            tuple("stats", 9090),
            tuple("metrics", 9091));
  }

  @Test
  void serviceAndConfigurationAreEmptyWithoutLabels() {
    Container qp = queueProxyOf(mutate(revisionPod(Map.of(), app(8080))).pod());

    assertThat(envValues(qp))
        .containsEntry("SERVING_SERVICE", "")
        .containsEntry("SERVING_CONFIGURATION", "");
  }

  @Test
  void annotationsSetConcurrencyAndTimeouts() {
    Pod pod =
        revisionPod(
            Map.of(
                KnettyKeys.CONTAINER_CONCURRENCY, "10",
                KnettyKeys.TIMEOUT_SECONDS, "600",
                KnettyKeys.IDLE_TIMEOUT_SECONDS, "60"),
            app(8080));

    PodMutator.Mutation m = mutate(pod);

    assertThat(m.warnings()).isEmpty();
    assertThat(envValues(queueProxyOf(m.pod())))
        .containsEntry("CONTAINER_CONCURRENCY", "10")
        .containsEntry("REVISION_TIMEOUT_SECONDS", "600")
        // The 300 s default now lies below the timeout, so Knative applies it.
        .containsEntry("REVISION_RESPONSE_START_TIMEOUT_SECONDS", "300")
        .containsEntry("REVISION_IDLE_TIMEOUT_SECONDS", "60");
  }

  @Test
  void badAnnotationsKeepTheDefaultAndWarnNamingKeyValueAndExpectation() {
    Pod pod =
        revisionPod(
            Map.of(
                KnettyKeys.CONTAINER_CONCURRENCY, "lots",
                KnettyKeys.TIMEOUT_SECONDS, "9000",
                KnettyKeys.USER_PORT, "8012"),
            app(8080));

    PodMutator.Mutation m = mutate(pod);

    assertThat(m.changed()).isTrue();
    assertThat(envValues(queueProxyOf(m.pod())))
        .containsEntry("CONTAINER_CONCURRENCY", "0")
        .containsEntry("REVISION_TIMEOUT_SECONDS", "300")
        .containsEntry("USER_PORT", "8080");
    assertThat(m.warnings())
        .containsExactlyInAnyOrder(
            "knetty.dev/container-concurrency: \"lots\" (expected: an integer in [0, 1000]); using 0",
            "knetty.dev/timeout-seconds: \"9000\" (expected: an integer in [0, 600]); using 300",
            "knetty.dev/user-port: \"8012\" (expected: a port in [1, 65535] other than 8012, 8013,"
                + " 8022, 9090, 9091); using the container's first port (8080)");
  }

  @Test
  void userPortComesFromAnnotationThenFirstPortThenDefault() {
    assertThat(userPort(revisionPod(Map.of(KnettyKeys.USER_PORT, "9000"), app(8081))))
        .isEqualTo("9000");
    assertThat(userPort(revisionPod(Map.of(), app(8081, 8082)))).isEqualTo("8081");
    assertThat(userPort(revisionPod(Map.of(), app()))).isEqualTo("8080");
  }

  @Test
  void servingContainerIsTheOneDeclaringAPort() {
    Container sidecar = new ContainerBuilder().withName("log-shipper").withImage("x").build();
    Pod pod = revisionPod(Map.of(), sidecar, withProbe(app(7070), httpProbe(null)));

    PodMutator.Mutation m = mutate(pod);

    assertThat(envValues(queueProxyOf(m.pod()))).containsEntry("USER_PORT", "7070");
    Container user = m.pod().getSpec().getContainers().get(1);
    assertThat(user.getReadinessProbe()).isNull();
    assertThat(user.getLifecycle().getPreStop()).isNotNull();
    assertThat(m.pod().getSpec().getContainers().get(0).getLifecycle()).isNull();
  }

  private String userPort(Pod pod) {
    return envValues(queueProxyOf(mutate(pod).pod())).get("USER_PORT");
  }

  @Test
  void h2cPortNameServesOn8013() {
    Container user =
        new ContainerBuilder(app())
            .addNewPort()
            .withName("h2c")
            .withContainerPort(50051)
            .endPort()
            .build();

    Container qp = queueProxyOf(mutate(revisionPod(Map.of(), user)).pod());

    assertThat(envValues(qp)).containsEntry("QUEUE_SERVING_PORT", "8013");
    assertThat(qp.getPorts().get(0).getName()).isEqualTo("h2c");
    assertThat(qp.getPorts().get(0).getContainerPort()).isEqualTo(8013);
    assertThat(qp.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(8013);
  }

  @Test
  void httpGetProbeMovesToQueueProxyAndQueueProxyGetsTheKubeletProbe() {
    Pod pod = revisionPod(Map.of(), withProbe(app(8080), httpProbe(new IntOrString(8081))));

    PodMutator.Mutation m = mutate(pod);

    assertThat(m.pod().getSpec().getContainers().get(0).getReadinessProbe()).isNull();
    JsonNode encoded = encodedProbe(m.pod());
    assertThat(encoded.path("httpGet").path("host").asText()).isEqualTo("127.0.0.1");
    assertThat(encoded.path("httpGet").path("port").asInt()).isEqualTo(8081);
    assertThat(encoded.path("httpGet").path("path").asText()).isEqualTo("/ready");
    assertThat(encoded.path("httpGet").path("scheme").asText()).isEqualTo("HTTP");
    assertThat(encoded.path("httpGet").path("httpHeaders").get(0).path("name").asText())
        .isEqualTo("X-Probe");
    assertThat(encoded.path("periodSeconds").asInt()).isEqualTo(5);
    assertThat(encoded.path("timeoutSeconds").asInt()).isEqualTo(3);
    assertThat(encoded.path("initialDelaySeconds").asInt()).isEqualTo(2);

    Probe kubelet = queueProxyOf(m.pod()).getReadinessProbe();
    assertThat(kubelet.getHttpGet().getPort().getIntVal()).isEqualTo(8012);
    assertThat(kubelet.getHttpGet().getPath()).isNull();
    assertThat(kubelet.getHttpGet().getHttpHeaders())
        .singleElement()
        .satisfies(
            h -> {
              assertThat(h.getName()).isEqualToIgnoringCase("K-Network-Probe");
              assertThat(h.getValue()).isEqualTo("queue");
            });
    assertThat(kubelet.getTcpSocket()).isNull();
    assertThat(kubelet.getInitialDelaySeconds()).isEqualTo(2);
    assertThat(kubelet.getPeriodSeconds()).isEqualTo(5);
    assertThat(kubelet.getTimeoutSeconds()).isEqualTo(3);
    assertThat(kubelet.getSuccessThreshold()).isEqualTo(1);
    assertThat(kubelet.getFailureThreshold()).isEqualTo(4);
  }

  @Test
  void probePortDefaultsToUserPortAndNamedPortsResolve() {
    Container named =
        new ContainerBuilder(app())
            .addNewPort()
            .withName("web")
            .withContainerPort(8088)
            .endPort()
            .addNewPort()
            .withName("admin")
            .withContainerPort(9901)
            .endPort()
            .build();

    assertThat(
            encodedProbe(mutate(revisionPod(Map.of(), withProbe(named, httpProbe(null)))).pod())
                .path("httpGet")
                .path("port")
                .asInt())
        .isEqualTo(8088);
    assertThat(
            encodedProbe(
                    mutate(
                            revisionPod(
                                Map.of(), withProbe(named, httpProbe(new IntOrString("admin")))))
                        .pod())
                .path("httpGet")
                .path("port")
                .asInt())
        .isEqualTo(9901);
    assertThat(
            encodedProbe(
                    mutate(
                            revisionPod(
                                Map.of(), withProbe(named, httpProbe(new IntOrString("nope")))))
                        .pod())
                .path("httpGet")
                .path("port")
                .asInt())
        .isEqualTo(8088);
  }

  @Test
  void tcpSocketProbeMovesToQueueProxy() {
    Probe tcp =
        new ProbeBuilder()
            .withNewTcpSocket()
            .withPort(new IntOrString(8080))
            .endTcpSocket()
            .withPeriodSeconds(10)
            .withTimeoutSeconds(1)
            .withSuccessThreshold(1)
            .withFailureThreshold(3)
            .build();

    PodMutator.Mutation m = mutate(revisionPod(Map.of(), withProbe(app(8080), tcp)));

    assertThat(m.pod().getSpec().getContainers().get(0).getReadinessProbe()).isNull();
    JsonNode encoded = encodedProbe(m.pod());
    assertThat(encoded.path("tcpSocket").path("host").asText()).isEqualTo("127.0.0.1");
    assertThat(encoded.path("tcpSocket").path("port").asInt()).isEqualTo(8080);
    assertThat(encoded.has("httpGet")).isFalse();
  }

  @Test
  void execProbeStaysOnUserContainerAndQueueProxyProbesTcp() {
    Probe exec =
        new ProbeBuilder()
            .withNewExec()
            .withCommand("cat", "/tmp/ready")
            .endExec()
            .withPeriodSeconds(7)
            .build();

    PodMutator.Mutation m = mutate(revisionPod(Map.of(), withProbe(app(8080), exec)));

    assertThat(m.pod().getSpec().getContainers().get(0).getReadinessProbe()).isEqualTo(exec);
    JsonNode encoded = encodedProbe(m.pod());
    assertThat(encoded.has("exec")).isFalse();
    assertThat(encoded.path("tcpSocket").path("host").asText()).isEqualTo("127.0.0.1");
    assertThat(encoded.path("tcpSocket").path("port").asInt()).isEqualTo(8080);
    // Knative defaults timeout 1 / failure 3 once a period is set.
    assertThat(encoded.path("timeoutSeconds").asInt()).isEqualTo(1);
    assertThat(encoded.path("failureThreshold").asInt()).isEqualTo(3);
    Probe kubelet = queueProxyOf(m.pod()).getReadinessProbe();
    assertThat(kubelet.getExec()).isNull();
    assertThat(kubelet.getHttpGet().getPort().getIntVal()).isEqualTo(8012);
    assertThat(kubelet.getPeriodSeconds()).isEqualTo(7);
  }

  @Test
  void grpcProbeMovesToQueueProxyWithDefaultService() {
    Probe grpc = new ProbeBuilder().withNewGrpc().withPort(50051).endGrpc().build();

    PodMutator.Mutation m = mutate(revisionPod(Map.of(), withProbe(app(50051), grpc)));

    assertThat(m.pod().getSpec().getContainers().get(0).getReadinessProbe()).isNull();
    JsonNode encoded = encodedProbe(m.pod());
    assertThat(encoded.path("grpc").path("port").asInt()).isEqualTo(50051);
    assertThat(encoded.path("grpc").path("service").isTextual()).isTrue();
    assertThat(encoded.path("grpc").path("service").asText()).isEmpty();
  }

  @Test
  void noProbeBecomesAggressiveTcpProbeOfTheUserPort() {
    PodMutator.Mutation m = mutate(revisionPod(Map.of(), app(8080)));

    // Exactly what Knative encodes for the default probe; no periodSeconds = aggressive polling.
    assertThat(envValues(queueProxyOf(m.pod())).get("SERVING_READINESS_PROBE"))
        .isEqualTo("{\"successThreshold\":1,\"tcpSocket\":{\"host\":\"127.0.0.1\",\"port\":8080}}");
    Probe kubelet = queueProxyOf(m.pod()).getReadinessProbe();
    assertThat(kubelet.getHttpGet().getPort().getIntVal()).isEqualTo(8012);
    assertThat(kubelet.getPeriodSeconds()).isEqualTo(10);
    assertThat(kubelet.getTimeoutSeconds()).isEqualTo(1);
    assertThat(kubelet.getSuccessThreshold()).isEqualTo(1);
    assertThat(kubelet.getFailureThreshold()).isEqualTo(3);
  }

  @Test
  void userContainerGetsTheDrainPreStopHook() {
    Container user =
        mutate(revisionPod(Map.of(), app(8080))).pod().getSpec().getContainers().get(0);

    var hook = user.getLifecycle().getPreStop().getHttpGet();
    assertThat(hook.getPath()).isEqualTo("/wait-for-drain");
    assertThat(hook.getPort().getIntVal()).isEqualTo(8022);
    assertThat(hook.getScheme()).isEqualTo("HTTP");
  }

  @Test
  void ownPreStopHookIsKeptWithAWarning() {
    Container user =
        new ContainerBuilder(app(8080))
            .withNewLifecycle()
            .withNewPreStop()
            .withNewSleep(5L)
            .endPreStop()
            .endLifecycle()
            .build();

    PodMutator.Mutation m = mutate(revisionPod(Map.of(), user));

    assertThat(m.pod().getSpec().getContainers().get(0).getLifecycle().getPreStop().getSleep())
        .isNotNull();
    assertThat(m.warnings()).singleElement().asString().contains("preStop");
  }

  @Test
  void gracePeriodCoversRevisionTimeoutPlusDrainQuietPeriod() {
    assertThat(grace(revisionPod(Map.of(), app(8080)))).isEqualTo(330L);
    assertThat(grace(revisionPod(Map.of(KnettyKeys.TIMEOUT_SECONDS, "600"), app(8080))))
        .isEqualTo(630L);
    Pod longGrace =
        new PodBuilder(revisionPod(Map.of(), app(8080)))
            .editSpec()
            .withTerminationGracePeriodSeconds(1000L)
            .endSpec()
            .build();
    assertThat(grace(longGrace)).isEqualTo(1000L);
  }

  private long grace(Pod pod) {
    return mutate(pod).pod().getSpec().getTerminationGracePeriodSeconds();
  }

  @Test
  void sidecarResourcesHaveRequestsAndNoLimitsByDefault() {
    Container qp = queueProxyOf(mutate(revisionPod(Map.of(), app(8080))).pod());

    assertThat(qp.getResources().getRequests())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("cpu", new Quantity("25m"), "memory", new Quantity("96Mi")));
    assertThat(qp.getResources().getLimits()).isEmpty();
  }

  @Test
  void sidecarLimitsAndPullPolicyComeFromConfig() {
    WebhookConfig c =
        Fixtures.config(
            Map.of(
                "KNETTY_QUEUE_PROXY_CPU_LIMIT", "1",
                "KNETTY_QUEUE_PROXY_MEMORY_LIMIT", "256Mi",
                "KNETTY_QUEUE_PROXY_IMAGE_PULL_POLICY", "Always"));
    PodMutator m = new PodMutator(c.queueProxy(), c.revisionDefaults(), serialization);

    Container qp = queueProxyOf(m.mutate(revisionPod(Map.of(), app(8080))).pod());

    assertThat(qp.getResources().getLimits())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("cpu", new Quantity("1"), "memory", new Quantity("256Mi")));
    assertThat(qp.getImagePullPolicy()).isEqualTo("Always");
  }

  @Test
  void sidecarIsHardenedAndGetsAWritableTmp() {
    Pod mutated = mutate(revisionPod(Map.of(), app(8080))).pod();
    Container qp = queueProxyOf(mutated);

    var sc = qp.getSecurityContext();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getRunAsNonRoot()).isTrue();
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(sc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(qp.getVolumeMounts())
        .singleElement()
        .satisfies(
            vm -> {
              assertThat(vm.getMountPath()).isEqualTo("/tmp");
              assertThat(vm.getName()).isEqualTo("knetty-queue-proxy-tmp");
            });
    assertThat(mutated.getSpec().getVolumes())
        .anySatisfy(v -> assertThat(v.getName()).isEqualTo("knetty-queue-proxy-tmp"));
  }

  @Test
  void reservedAndCollidingUserPortsAreReported() {
    Container user =
        new ContainerBuilder(app())
            .addNewPort()
            .withName("http")
            .withContainerPort(9090)
            .endPort()
            .build();

    List<String> warnings = mutate(revisionPod(Map.of(), user)).warnings();

    assertThat(warnings).hasSize(2);
    assertThat(warnings).anySatisfy(w -> assertThat(w).contains("9090").contains("reserved"));
    assertThat(warnings).anySatisfy(w -> assertThat(w).contains("port name http"));
  }

  @Test
  void mutationIsIdempotent() {
    Pod pod = revisionPod(Map.of(), withProbe(app(8080), httpProbe(null)));

    PodMutator.Mutation once = mutate(pod);
    PodMutator.Mutation twice = mutate(once.pod());

    assertThat(twice.changed()).isFalse();
    assertThat(twice.warnings()).isEmpty();
    assertThat(twice.pod()).isEqualTo(once.pod());
  }

  @Test
  void inputPodIsNotModified() {
    Pod pod = revisionPod(Map.of(), withProbe(app(8080), httpProbe(null)));
    Pod copy = serialization.clone(pod);

    mutate(pod);

    assertThat(pod).isEqualTo(copy);
  }

  @Test
  void podsWithoutTheRevisionLabelAreLeftAlone() {
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("plain")
            .addToLabels("app", "x")
            .endMetadata()
            .withNewSpec()
            .withContainers(app(8080))
            .endSpec()
            .build();

    PodMutator.Mutation m = mutate(pod);

    assertThat(m.changed()).isFalse();
    assertThat(m.warnings()).isEmpty();
    assertThat(m.pod()).isSameAs(pod);
  }

  @Test
  void emptyRevisionLabelIsReportedAndNotMutated() {
    Pod pod =
        new PodBuilder(revisionPod(Map.of(), app(8080)))
            .editMetadata()
            .addToLabels(KnettyKeys.REVISION_LABEL, "")
            .endMetadata()
            .build();

    PodMutator.Mutation m = mutate(pod);

    assertThat(m.changed()).isFalse();
    assertThat(m.warnings()).singleElement().asString().contains("knetty.dev/revision");
  }
}
