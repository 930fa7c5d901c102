package dev.knetty.autoscaler.kubernetes.webhook;

import dev.knetty.common.kubernetes.KnettyKeys;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Configurations, pods and resources shared by the webhook tests. */
final class Fixtures {

  private Fixtures() {}

  /** Building a serializer registers every model class: slow, so the tests share one. */
  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  static final String QP_IMAGE = "ghcr.io/knetty/queue-proxy:test";
  static final String AUTOSCALER = "knetty-autoscaler.knetty-system.svc:9095";

  /** A valid configuration for a loopback server on a free port, with {@code overrides}. */
  static WebhookConfig config(Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>();
    env.put("KNETTY_WEBHOOK_SERVICE_NAME", "knetty-autoscaler");
    env.put("KNETTY_WEBHOOK_SERVICE_NAMESPACE", "knetty-system");
    env.put("KNETTY_QUEUE_PROXY_IMAGE", QP_IMAGE);
    env.put("KNETTY_QUEUE_PROXY_AUTOSCALER_ADDRESS", AUTOSCALER);
    env.put("KNETTY_WEBHOOK_BIND_ADDRESS", "127.0.0.1");
    env.put("KNETTY_WEBHOOK_PORT", "0");
    env.putAll(overrides);
    return WebhookConfig.fromEnvironment(env);
  }

  static PodMutator mutator() {
    WebhookConfig c = config(Map.of());
    return new PodMutator(c.queueProxy(), c.revisionDefaults(), SERIALIZATION);
  }

  /** A pod of revision {@code hello-00001} with the given annotations and containers. */
  static Pod revisionPod(Map<String, String> annotations, Container... containers) {
    return new PodBuilder()
        .withNewMetadata()
        .withGenerateName("hello-5d8f7c9b-")
        .withNamespace("shop")
        .addToLabels(KnettyKeys.REVISION_LABEL, "hello-00001")
        .addToLabels("app", "hello")
        .withAnnotations(new LinkedHashMap<>(annotations))
        .endMetadata()
        .withNewSpec()
        .withContainers(containers)
        .endSpec()
        .build();
  }

  /** A user container {@code app} declaring {@code ports} (unnamed). */
  static Container app(int... ports) {
    ContainerBuilder b = new ContainerBuilder().withName("app").withImage("example/hello:1");
    for (int p : ports) {
      b.addNewPort().withContainerPort(p).withProtocol("TCP").endPort();
    }
    return b.build();
  }

  static Container queueProxyOf(Pod pod) {
    return pod.getSpec().getContainers().stream()
        .filter(c -> c.getName().equals("queue-proxy"))
        .findFirst()
        .orElseThrow();
  }

  /** The queue-proxy's literal env values (fieldRefs excluded). */
  static Map<String, String> envValues(Container c) {
    Map<String, String> m = new LinkedHashMap<>();
    for (EnvVar e : c.getEnv()) {
      if (e.getValueFrom() == null) {
        m.put(e.getName(), e.getValue());
      }
    }
    return m;
  }

  /** The queue-proxy's fieldRef env vars: name to field path. */
  static Map<String, String> envFieldRefs(Container c) {
    Map<String, String> m = new LinkedHashMap<>();
    for (EnvVar e : c.getEnv()) {
      if (e.getValueFrom() != null) {
        m.put(e.getName(), e.getValueFrom().getFieldRef().getFieldPath());
      }
    }
    return m;
  }

  static List<String> envNames(Container c) {
    return c.getEnv().stream().map(EnvVar::getName).toList();
  }

  static String resource(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
