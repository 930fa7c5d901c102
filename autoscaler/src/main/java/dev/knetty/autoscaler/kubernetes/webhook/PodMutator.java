package dev.knetty.autoscaler.kubernetes.webhook;

import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ADMIN_PORT;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ADMIN_PORT_NAME;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.CONTAINER_NAME;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.DRAIN_PATH;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.DRAIN_QUIET_PERIOD_SECONDS;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_CONTAINER_CONCURRENCY;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_KNETTY_AUTOSCALER;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_QUEUE_ADMIN_PORT;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_QUEUE_METRICS_PORT;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_QUEUE_SERVING_PORT;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_QUEUE_STATS_PORT;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_REVISION_IDLE_TIMEOUT_SECONDS;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_REVISION_RESPONSE_START_TIMEOUT_SECONDS;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_REVISION_TIMEOUT_SECONDS;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_SERVING_CONFIGURATION;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_SERVING_NAMESPACE;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_SERVING_POD;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_SERVING_POD_IP;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_SERVING_READINESS_PROBE;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_SERVING_REVISION;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_SERVING_SERVICE;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.ENV_USER_PORT;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.H2C_SERVING_PORT_NAME;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.METRICS_PORT;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.METRICS_PORT_NAME;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.SERVING_PORT_NAME;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.STATS_PORT;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.STATS_PORT_NAME;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.TMP_SIZE_LIMIT;
import static dev.knetty.autoscaler.kubernetes.webhook.QueueProxyContract.TMP_VOLUME;

import dev.knetty.autoscaler.kubernetes.KnettyAnnotations;
import dev.knetty.autoscaler.kubernetes.KnettyKeys;
import dev.knetty.autoscaler.kubernetes.RevisionPods;
import dev.knetty.common.config.RevisionDefaults;
import dev.knetty.common.config.RevisionSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HTTPGetActionBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Lifecycle;
import io.fabric8.kubernetes.api.model.LifecycleHandlerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Turns a pod labelled {@code knetty.dev/revision} into a Knetty revision pod: adds the queue-proxy
 * container with Knative's environment contract, moves the user container's readiness probe into
 * the queue-proxy, adds the drain preStop hook and a grace period that covers the drain.
 *
 * <p>Pure: the argument is never modified. Idempotent: a pod that already has a {@value
 * QueueProxyContract#CONTAINER_NAME} container is returned unchanged, so {@code
 * mutate(mutate(p).pod())} equals {@code mutate(p).pod()}.
 *
 * <p>Where Knetty differs from Knative's reconciler: the pod arrives already defaulted by the API
 * server, so a declared readiness probe always has {@code periodSeconds >= 1} and the queue-proxy
 * runs it once per check (Knative's 50 ms "aggressive" polling only applies to the default TCP
 * probe); named probe ports are resolved against the user container; a user preStop hook is kept
 * (with a warning) instead of being replaced; and the grace period also covers the drain.
 */
final class PodMutator {

  /** The result: the (possibly) mutated copy and the problems found, for the AdmissionReview. */
  record Mutation(Pod pod, List<String> warnings, boolean changed) {
    Mutation {
      Objects.requireNonNull(pod, "pod");
      warnings = List.copyOf(warnings);
    }
  }

  private static final long K8S_DEFAULT_GRACE_SECONDS = 30;

  private static final Set<String> QUEUE_PROXY_PORT_NAMES =
      Set.of(
          SERVING_PORT_NAME,
          H2C_SERVING_PORT_NAME,
          ADMIN_PORT_NAME,
          STATS_PORT_NAME,
          METRICS_PORT_NAME);

  private final WebhookConfig.QueueProxy sidecar;
  private final RevisionDefaults defaults;
  private final KubernetesSerialization serialization;

  PodMutator(
      WebhookConfig.QueueProxy sidecar,
      RevisionDefaults defaults,
      KubernetesSerialization serialization) {
    this.sidecar = Objects.requireNonNull(sidecar, "sidecar");
    this.defaults = Objects.requireNonNull(defaults, "defaults");
    this.serialization = Objects.requireNonNull(serialization, "serialization");
  }

  Mutation mutate(Pod pod) {
    Map<String, String> labels = pod.getMetadata() == null ? null : pod.getMetadata().getLabels();
    String revision = labels == null ? null : labels.get(KnettyKeys.REVISION_LABEL);
    if (revision == null) {
      return unchanged(pod);
    }
    if (revision.isEmpty()) {
      return unchanged(
          pod,
          KnettyKeys.REVISION_LABEL
              + ": \"\" (expected: the revision name); queue-proxy not injected");
    }
    PodSpec spec = pod.getSpec();
    if (spec == null || spec.getContainers() == null || spec.getContainers().isEmpty()) {
      return unchanged(pod, "pod has no containers; queue-proxy not injected");
    }
    if (spec.getContainers().stream().anyMatch(c -> CONTAINER_NAME.equals(c.getName()))) {
      return unchanged(pod);
    }

    Pod out = serialization.clone(pod);
    List<String> warnings = new ArrayList<>();
    List<Container> containers = out.getSpec().getContainers();
    Container user = RevisionPods.servingContainer(containers);
    KnettyAnnotations.Read read =
        KnettyAnnotations.read(
            out.getMetadata().getAnnotations(), defaults, RevisionPods.firstPort(user));
    warnings.addAll(read.warnings());
    RevisionSettings settings = read.settings();
    int userPort = settings.userPort();
    checkPorts(containers, warnings);
    boolean h2c = RevisionPods.h2c(user);
    int servingPort = RevisionPods.servingPort(h2c);

    Probe defaulted = ReadinessProbes.withKnativeDefaults(user.getReadinessProbe());
    String encodedProbe =
        serialization.asJson(ReadinessProbes.forQueueProxyToRun(defaulted, user, userPort));
    Probe kubeletProbe = ReadinessProbes.forKubelet(defaulted, servingPort);
    if (ReadinessProbes.movesToQueueProxy(user.getReadinessProbe())) {
      user.setReadinessProbe(null);
    }

    addDrainHook(user, warnings);

    Map<String, String> env = new LinkedHashMap<>();
    env.put(ENV_SERVING_SERVICE, labels.getOrDefault(KnettyKeys.SERVICE_LABEL, ""));
    env.put(ENV_SERVING_CONFIGURATION, labels.getOrDefault(KnettyKeys.CONFIGURATION_LABEL, ""));
    env.put(ENV_SERVING_REVISION, revision);
    env.put(ENV_QUEUE_SERVING_PORT, String.valueOf(servingPort));
    env.put(ENV_QUEUE_ADMIN_PORT, String.valueOf(ADMIN_PORT));
    env.put(ENV_QUEUE_STATS_PORT, String.valueOf(STATS_PORT));
    env.put(ENV_QUEUE_METRICS_PORT, String.valueOf(METRICS_PORT));
    env.put(ENV_USER_PORT, String.valueOf(userPort));
    env.put(ENV_CONTAINER_CONCURRENCY, String.valueOf(settings.containerConcurrency()));
    env.put(ENV_REVISION_TIMEOUT_SECONDS, String.valueOf(settings.timeoutSeconds()));
    env.put(
        ENV_REVISION_RESPONSE_START_TIMEOUT_SECONDS,
        String.valueOf(settings.responseStartTimeoutSeconds()));
    env.put(ENV_REVISION_IDLE_TIMEOUT_SECONDS, String.valueOf(settings.idleTimeoutSeconds()));
    env.put(ENV_SERVING_READINESS_PROBE, encodedProbe);
    env.put(ENV_KNETTY_AUTOSCALER, sidecar.autoscalerAddress());

    containers.add(queueProxy(servingPort, h2c, env, kubeletProbe));
    if (out.getSpec().getVolumes() == null) {
      out.getSpec().setVolumes(new ArrayList<>());
    }
    out.getSpec()
        .getVolumes()
        .add(
            new VolumeBuilder()
                .withName(TMP_VOLUME)
                .withNewEmptyDir()
                .withSizeLimit(new Quantity(TMP_SIZE_LIMIT))
                .endEmptyDir()
                .build());

    // The queue-proxy drains for a quiet period, then waits for in-flight requests (each at most
    // the revision timeout); the kubelet must not kill the pod before that.
    long current =
        out.getSpec().getTerminationGracePeriodSeconds() == null
            ? K8S_DEFAULT_GRACE_SECONDS
            : out.getSpec().getTerminationGracePeriodSeconds();
    out.getSpec()
        .setTerminationGracePeriodSeconds(
            Math.max(current, settings.timeoutSeconds() + DRAIN_QUIET_PERIOD_SECONDS));
    return new Mutation(out, warnings, true);
  }

  private static void checkPorts(List<Container> containers, List<String> warnings) {
    for (Container c : containers) {
      for (ContainerPort p : c.getPorts()) {
        if (p.getContainerPort() != null
            && RevisionPods.RESERVED_PORTS.contains(p.getContainerPort())) {
          warnings.add(
              "container "
                  + c.getName()
                  + " port "
                  + p.getContainerPort()
                  + " is reserved for the queue-proxy (expected: another port)");
        }
        if (p.getName() != null && QUEUE_PROXY_PORT_NAMES.contains(p.getName())) {
          warnings.add(
              "container "
                  + c.getName()
                  + " port name "
                  + p.getName()
                  + " is also a queue-proxy port name; name-based targetPorts may pick either");
        }
      }
    }
  }

  /** Knative's {@code userLifecycle}: preStop blocks until the queue-proxy has drained. */
  private static void addDrainHook(Container user, List<String> warnings) {
    Lifecycle lifecycle = user.getLifecycle() == null ? new Lifecycle() : user.getLifecycle();
    if (lifecycle.getPreStop() != null) {
      warnings.add(
          "container "
              + user.getName()
              + " has its own preStop hook; kept, so it may stop before the queue-proxy drained");
      return;
    }
    lifecycle.setPreStop(
        new LifecycleHandlerBuilder()
            .withHttpGet(
                new HTTPGetActionBuilder()
                    .withPath(DRAIN_PATH)
                    .withPort(new IntOrString(ADMIN_PORT))
                    .withScheme("HTTP")
                    .build())
            .build());
    user.setLifecycle(lifecycle);
  }

  private Container queueProxy(
      int servingPort, boolean h2c, Map<String, String> values, Probe readinessProbe) {
    List<EnvVar> env = new ArrayList<>();
    env.add(fieldRef(ENV_SERVING_NAMESPACE, "metadata.namespace"));
    values.forEach((name, value) -> env.add(new EnvVar(name, value, null)));
    env.add(fieldRef(ENV_SERVING_POD, "metadata.name"));
    env.add(fieldRef(ENV_SERVING_POD_IP, "status.podIP"));

    ContainerBuilder qp =
        new ContainerBuilder()
            .withName(CONTAINER_NAME)
            .withImage(sidecar.image())
            .addNewPort()
            .withName(h2c ? H2C_SERVING_PORT_NAME : SERVING_PORT_NAME)
            .withContainerPort(servingPort)
            .withProtocol("TCP")
            .endPort()
            .addNewPort()
            .withName(ADMIN_PORT_NAME)
            .withContainerPort(ADMIN_PORT)
            .withProtocol("TCP")
            .endPort()
            .addNewPort()
            .withName(STATS_PORT_NAME)
            .withContainerPort(STATS_PORT)
            .withProtocol("TCP")
            .endPort()
            .addNewPort()
            .withName(METRICS_PORT_NAME)
            .withContainerPort(METRICS_PORT)
            .withProtocol("TCP")
            .endPort()
            .withEnv(env)
            .withResources(resources())
            .withReadinessProbe(readinessProbe)
            // Knative's queueSecurityContext: passes the "restricted" Pod Security Standard.
            .withSecurityContext(
                new SecurityContextBuilder()
                    .withAllowPrivilegeEscalation(false)
                    .withReadOnlyRootFilesystem(true)
                    .withRunAsNonRoot(true)
                    .withNewCapabilities()
                    .withDrop("ALL")
                    .endCapabilities()
                    .withNewSeccompProfile()
                    .withType("RuntimeDefault")
                    .endSeccompProfile()
                    .build())
            .addNewVolumeMount()
            .withName(TMP_VOLUME)
            .withMountPath("/tmp")
            .endVolumeMount();
    if (!sidecar.imagePullPolicy().isEmpty()) {
      qp.withImagePullPolicy(sidecar.imagePullPolicy());
    }
    return qp.build();
  }

  /**
   * Requests from the config; limits only when configured. No CPU limit by default: CFS quotas
   * throttle a latency-critical sidecar long before it uses its share (serving#8057, kserve#894).
   */
  private ResourceRequirements resources() {
    ResourceRequirements r = new ResourceRequirements();
    putIfSet(r.getRequests(), "cpu", sidecar.cpuRequest());
    putIfSet(r.getRequests(), "memory", sidecar.memoryRequest());
    putIfSet(r.getLimits(), "cpu", sidecar.cpuLimit());
    putIfSet(r.getLimits(), "memory", sidecar.memoryLimit());
    return r;
  }

  private static void putIfSet(Map<String, Quantity> map, String name, String value) {
    if (!value.isEmpty()) {
      map.put(name, new Quantity(value));
    }
  }

  private static EnvVar fieldRef(String name, String path) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewFieldRef()
        .withApiVersion("v1")
        .withFieldPath(path)
        .endFieldRef()
        .endValueFrom()
        .build();
  }

  private static Mutation unchanged(Pod pod, String... warnings) {
    return new Mutation(pod, List.of(warnings), false);
  }
}
