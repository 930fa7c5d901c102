package dev.knetty.autoscaler.kubernetes.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.knetty.common.config.RevisionDefaults;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookConfigTest {

  private static final Map<String, String> REQUIRED =
      Map.of(
          "KNETTY_WEBHOOK_SERVICE_NAME", "knetty-autoscaler",
          "KNETTY_WEBHOOK_SERVICE_NAMESPACE", "knetty-system",
          "KNETTY_QUEUE_PROXY_IMAGE", "img",
          "KNETTY_QUEUE_PROXY_AUTOSCALER_ADDRESS", "a.b.svc:9095");

  private static WebhookConfig read(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(REQUIRED);
    env.putAll(extra);
    return WebhookConfig.fromEnvironment(env);
  }

  @Test
  void defaults() {
    WebhookConfig c = read(Map.of());

    assertThat(c.bindAddress()).isEqualTo("0.0.0.0");
    assertThat(c.port()).isEqualTo(8443);
    assertThat(c.maxRequestBytes()).isEqualTo(3 * 1024 * 1024);
    assertThat(c.idleTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(c.tls().mode()).isEqualTo(WebhookConfig.CertMode.GENERATE);
    assertThat(c.tls().webhookConfigurationName()).isEqualTo("knetty-webhook");
    assertThat(c.tls().secretName()).isEqualTo("knetty-webhook-certs");
    assertThat(c.tls().certFile()).isEqualTo(Path.of("/etc/knetty/webhook-certs/tls.crt"));
    assertThat(c.tls().keyFile()).isEqualTo(Path.of("/etc/knetty/webhook-certs/tls.key"));
    assertThat(c.tls().certValidity()).isEqualTo(Duration.ofDays(365));
    assertThat(c.tls().caValidity()).isEqualTo(Duration.ofDays(3650));
    assertThat(c.tls().refreshInterval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.tls().extraSubjectAltNames()).isEmpty();
    assertThat(c.tls().serviceDnsNames())
        .containsExactly(
            "knetty-autoscaler",
            "knetty-autoscaler.knetty-system",
            "knetty-autoscaler.knetty-system.svc",
            "knetty-autoscaler.knetty-system.svc.cluster.local");
    assertThat(c.queueProxy())
        .isEqualTo(new WebhookConfig.QueueProxy("img", "", "25m", "96Mi", "", "", "a.b.svc:9095"));
    assertThat(c.revisionDefaults()).isEqualTo(RevisionDefaults.defaults());
  }

  @Test
  void everyVariableIsRead() {
    Map<String, String> env = new HashMap<>();
    env.put("KNETTY_WEBHOOK_BIND_ADDRESS", "127.0.0.1");
    env.put("KNETTY_WEBHOOK_PORT", "9443");
    env.put("KNETTY_WEBHOOK_MAX_REQUEST_BYTES", "65536");
    env.put("KNETTY_WEBHOOK_IDLE_TIMEOUT_SECONDS", "5");
    env.put("KNETTY_WEBHOOK_CERT_MODE", "files");
    env.put("KNETTY_WEBHOOK_CONFIGURATION_NAME", "mwc");
    env.put("KNETTY_WEBHOOK_CERT_SECRET", "sec");
    env.put("KNETTY_WEBHOOK_EXTRA_SANS", " 127.0.0.1, webhook.example.com ,");
    env.put("KNETTY_WEBHOOK_CERT_VALIDITY_DAYS", "30");
    env.put("KNETTY_WEBHOOK_CA_VALIDITY_DAYS", "60");
    env.put("KNETTY_WEBHOOK_CERT_DIR", "/certs");
    env.put("KNETTY_WEBHOOK_CERT_REFRESH_SECONDS", "10");
    env.put("KNETTY_QUEUE_PROXY_IMAGE_PULL_POLICY", "Never");
    env.put("KNETTY_QUEUE_PROXY_CPU_REQUEST", "50m");
    env.put("KNETTY_QUEUE_PROXY_MEMORY_REQUEST", "128Mi");
    env.put("KNETTY_QUEUE_PROXY_CPU_LIMIT", "2");
    env.put("KNETTY_QUEUE_PROXY_MEMORY_LIMIT", "1Gi");
    env.put("KNETTY_REVISION_CONTAINER_CONCURRENCY", "10");
    env.put("KNETTY_REVISION_CONTAINER_CONCURRENCY_MAX_LIMIT", "100");
    env.put("KNETTY_REVISION_TIMEOUT_SECONDS", "60");
    env.put("KNETTY_REVISION_MAX_TIMEOUT_SECONDS", "120");
    env.put("KNETTY_REVISION_RESPONSE_START_TIMEOUT_SECONDS", "20");
    env.put("KNETTY_REVISION_IDLE_TIMEOUT_SECONDS", "10");

    WebhookConfig c = read(env);

    assertThat(c.bindAddress()).isEqualTo("127.0.0.1");
    assertThat(c.port()).isEqualTo(9443);
    assertThat(c.maxRequestBytes()).isEqualTo(65536);
    assertThat(c.idleTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.tls())
        .isEqualTo(
            new WebhookConfig.Tls(
                WebhookConfig.CertMode.FILES,
                "knetty-autoscaler",
                "knetty-system",
                "mwc",
                "sec",
                List.of("127.0.0.1", "webhook.example.com"),
                Duration.ofDays(30),
                Duration.ofDays(60),
                Path.of("/certs/tls.crt"),
                Path.of("/certs/tls.key"),
                Duration.ofSeconds(10)));
    assertThat(c.queueProxy())
        .isEqualTo(
            new WebhookConfig.QueueProxy(
                "img", "Never", "50m", "128Mi", "2", "1Gi", "a.b.svc:9095"));
    assertThat(c.revisionDefaults())
        .isEqualTo(new RevisionDefaults(60, 120, 20, 10, 10, 100, true));
  }

  @Test
  void missingRequiredVariableIsNamed() {
    Map<String, String> env = new HashMap<>(REQUIRED);
    env.remove("KNETTY_QUEUE_PROXY_IMAGE");

    assertThatThrownBy(() -> WebhookConfig.fromEnvironment(env))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("KNETTY_QUEUE_PROXY_IMAGE: null (expected: a value; it is required)");
  }

  @Test
  void badValuesAreNamedWithWhatWasExpected() {
    assertThatThrownBy(() -> read(Map.of("KNETTY_WEBHOOK_PORT", "https")))
        .hasMessage("KNETTY_WEBHOOK_PORT: https (expected: an integer)");
    assertThatThrownBy(() -> read(Map.of("KNETTY_WEBHOOK_PORT", "70000")))
        .hasMessage("port: 70000 (expected: in [0, 65535])");
    assertThatThrownBy(() -> read(Map.of("KNETTY_WEBHOOK_CERT_MODE", "magic")))
        .hasMessage("KNETTY_WEBHOOK_CERT_MODE: magic (expected: generate or files)");
    assertThatThrownBy(() -> read(Map.of("KNETTY_QUEUE_PROXY_CPU_REQUEST", "lots")))
        .hasMessage("cpuRequest: lots (expected: a Kubernetes quantity such as 25m or 96Mi)");
    assertThatThrownBy(() -> read(Map.of("KNETTY_QUEUE_PROXY_AUTOSCALER_ADDRESS", "nohost")))
        .hasMessageStartingWith("autoscalerAddress: nohost (expected: host:port");
    assertThatThrownBy(() -> read(Map.of("KNETTY_QUEUE_PROXY_IMAGE_PULL_POLICY", "Sometimes")))
        .hasMessageStartingWith("imagePullPolicy: Sometimes (expected:");
    assertThatThrownBy(() -> read(Map.of("KNETTY_WEBHOOK_MAX_REQUEST_BYTES", "10")))
        .hasMessage("maxRequestBytes: 10 (expected: >= 1024)");
    assertThatThrownBy(() -> read(Map.of("KNETTY_WEBHOOK_CERT_REFRESH_SECONDS", "0")))
        .hasMessage("refreshInterval: PT0S (expected: > 0)");
    assertThatThrownBy(() -> read(Map.of("KNETTY_WEBHOOK_CA_VALIDITY_DAYS", "1")))
        .hasMessage("caValidity: PT24H (expected: >= certValidity PT8760H)");
    assertThatThrownBy(() -> read(Map.of("KNETTY_REVISION_TIMEOUT_SECONDS", "601")))
        .hasMessage(
            "KNETTY_REVISION_TIMEOUT_SECONDS: 601 (expected: <= max-revision-timeout-seconds"
                + " (600))");
  }
}
