package dev.knetty.queueproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.knetty.common.config.ConfigException;
import dev.knetty.common.proxy.UpstreamPoolConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The environment contract: Knative's variables (and Knetty's), defaults and one-line errors. */
class QueueProxyEnvTest {

  /** What Knetty's webhook sets (see autoscaler's PodMutator). */
  private static Map<String, String> webhookEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("SERVING_NAMESPACE", "default");
    env.put("SERVING_SERVICE", "hello");
    env.put("SERVING_CONFIGURATION", "hello");
    env.put("SERVING_REVISION", "hello-00001");
    env.put("QUEUE_SERVING_PORT", "8013");
    env.put("QUEUE_ADMIN_PORT", "8022");
    env.put("QUEUE_STATS_PORT", "9090");
    env.put("QUEUE_METRICS_PORT", "9091");
    env.put("USER_PORT", "8081");
    env.put("CONTAINER_CONCURRENCY", "10");
    env.put("REVISION_TIMEOUT_SECONDS", "300");
    env.put("REVISION_RESPONSE_START_TIMEOUT_SECONDS", "60");
    env.put("REVISION_IDLE_TIMEOUT_SECONDS", "0");
    env.put(
        "SERVING_READINESS_PROBE",
        "{\"successThreshold\":1,\"tcpSocket\":{\"host\":\"127.0.0.1\",\"port\":8081}}");
    env.put("KNETTY_AUTOSCALER", "knetty-autoscaler.knetty-system:9095");
    env.put("SERVING_POD", "hello-00001-deployment-5f7d8-abcde");
    env.put("SERVING_POD_IP", "10.1.2.3");
    return env;
  }

  @Test
  void theWebhookContract() {
    QueueProxyConfig c = QueueProxyConfig.fromEnvironment(webhookEnv());

    assertThat(c.containerConcurrency()).isEqualTo(10);
    assertThat(c.servingPort()).isEqualTo(8013);
    assertThat(c.adminPort()).isEqualTo(8022);
    assertThat(c.statsPort()).isEqualTo(9090);
    assertThat(c.metricsPort()).isEqualTo(9091);
    assertThat(c.userPort()).isEqualTo(8081);
    assertThat(c.revisionTimeout()).isEqualTo(Duration.ofSeconds(300));
    assertThat(c.responseStartTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.idleTimeout()).isZero();
    assertThat(c.readinessProbes()).containsExactly(ReadinessProbe.tcp(8081));
    assertThat(c.autoscaler()).isEqualTo("knetty-autoscaler.knetty-system:9095");
    assertThat(c.revisionKey().toString()).isEqualTo("default/hello-00001");
    assertThat(c.service()).isEqualTo("hello");
    assertThat(c.configuration()).isEqualTo("hello");
    assertThat(c.pod()).isEqualTo("hello-00001-deployment-5f7d8-abcde");
    assertThat(c.podIp()).isEqualTo("10.1.2.3");
    assertThat(c.drainQuietPeriod()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.drainTimeout()).isEqualTo(Duration.ofSeconds(300));
    assertThat(c.accessLog()).isFalse();
    assertThat(c.bindHost()).isEqualTo("0.0.0.0");
  }

  @Test
  void knativesOwnVariablesAreAcceptedAndIgnored() {
    Map<String, String> env = webhookEnv();
    // What Knative's revision reconciler adds (pkg/reconciler/revision/resources/queue.go).
    env.put("QUEUE_SERVING_TLS_PORT", "8112");
    env.put("ENABLE_HTTP2_AUTO_DETECTION", "false");
    env.put("ENABLE_HTTP_FULL_DUPLEX", "true");
    env.put("ENABLE_MULTI_CONTAINER_PROBES", "false");
    env.put("ENABLE_PROFILING", "false");
    env.put("SERVING_LOGGING_CONFIG", "{\"level\":\"info\"}");
    env.put("SERVING_LOGGING_LEVEL", "info");
    env.put("SERVING_REQUEST_LOG_TEMPLATE", "{{.Request.Method}}");
    env.put("SERVING_ENABLE_REQUEST_LOG", "false");
    env.put("SERVING_ENABLE_PROBE_REQUEST_LOG", "false");
    env.put("SERVING_REQUEST_METRICS_BACKEND", "prometheus");
    env.put("SYSTEM_NAMESPACE", "knative-serving");
    env.put("HOST_IP", "10.0.0.1");
    env.put("ROOT_CA", "");
    env.put("OBSERVABILITY_CONFIG", "{\"tracing\":{},\"metrics\":{}}");
    env.put("TRACING_CONFIG_BACKEND", "none");
    env.put("METRICS_DOMAIN", "knative.dev/internal/serving");
    env.remove("KNETTY_AUTOSCALER");
    env.remove("QUEUE_ADMIN_PORT");
    env.remove("QUEUE_STATS_PORT");
    env.remove("QUEUE_METRICS_PORT");

    QueueProxyConfig c = QueueProxyConfig.fromEnvironment(env);

    assertThat(c.autoscaler()).isEmpty();
    assertThat(c.adminPort()).isEqualTo(8022);
    assertThat(c.statsPort()).isEqualTo(9090);
    assertThat(c.metricsPort()).isEqualTo(9091);
  }

  @Test
  void defaultsWithOnlyTheRequiredVariables() {
    QueueProxyConfig c =
        QueueProxyConfig.fromEnvironment(
            Map.of(
                "CONTAINER_CONCURRENCY", "0", "REVISION_TIMEOUT_SECONDS", "30", "HOSTNAME", "h"));

    assertThat(c.hasBreaker()).isFalse();
    assertThat(c.servingPort()).isEqualTo(8012);
    assertThat(c.userPort()).isEqualTo(8080);
    assertThat(c.readinessProbes()).isEmpty();
    assertThat(c.pod()).isEqualTo("h");
    assertThat(c.revisionKey()).isNull();
    // The drain timeout is at least Knative's 60 s for websockets.
    assertThat(c.drainTimeout()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void knettyVariables() {
    Map<String, String> env = webhookEnv();
    env.put("KNETTY_DRAIN_QUIET_PERIOD", "1m30s");
    env.put("KNETTY_DRAIN_TIMEOUT", "45s");
    env.put("KNETTY_ACCESS_LOG", "json");
    env.put("KNETTY_IO_THREADS", "3");
    env.put("KNETTY_BIND_HOST", "127.0.0.1");
    env.put("KNETTY_MAX_APP_CONNECTS", "8");

    QueueProxyConfig c = QueueProxyConfig.fromEnvironment(env);

    assertThat(c.drainQuietPeriod()).isEqualTo(Duration.ofSeconds(90));
    assertThat(c.drainTimeout()).isEqualTo(Duration.ofSeconds(45));
    assertThat(c.accessLog()).isTrue();
    assertThat(c.ioThreads()).isEqualTo(3);
    assertThat(c.bindHost()).isEqualTo("127.0.0.1");
    assertThat(c.maxAppConnects()).isEqualTo(8);
    assertThat(QueueProxy.proxyConfig(c).pool().maxConnectsPerKey()).isEqualTo(8);
    assertThat(QueueProxy.proxyConfig(QueueProxyConfig.fromEnvironment(webhookEnv())).pool())
        .extracting(UpstreamPoolConfig::maxConnectsPerKey)
        .isEqualTo(32);
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "CONTAINER_CONCURRENCY|-1|an integer from 0 (no limit) to 214748364",
        "CONTAINER_CONCURRENCY|ten|an integer from 0 (no limit) to 214748364",
        "CONTAINER_CONCURRENCY|214748365|an integer from 0 (no limit) to 214748364",
        "REVISION_TIMEOUT_SECONDS|5m|a whole number of seconds >= 0",
        "REVISION_RESPONSE_START_TIMEOUT_SECONDS|-3|a whole number of seconds >= 0",
        "REVISION_IDLE_TIMEOUT_SECONDS|1.5|a whole number of seconds >= 0",
        "QUEUE_SERVING_PORT|70000|a port number, 0-65535",
        "USER_PORT|0|a port number, 1-65535",
        "QUEUE_ADMIN_PORT|admin|a port number, 0-65535",
        "QUEUE_STATS_PORT|-1|a port number, 0-65535",
        "QUEUE_METRICS_PORT|x|a port number, 0-65535",
        "SERVING_NAMESPACE|Default|a DNS label: 1 to 63 lower-case letters, digits or '-'",
        "SERVING_REVISION|hello_1|a DNS label: 1 to 63 lower-case letters, digits or '-'",
        "KNETTY_AUTOSCALER|no-port|host:port of the autoscaler's KMP endpoint,"
            + " e.g. knetty-autoscaler.knetty:9095, or empty",
        "KNETTY_DRAIN_QUIET_PERIOD|30|a Go duration >= 0, e.g. 30s or 1m30s (0 for none)",
        "KNETTY_DRAIN_QUIET_PERIOD|-1s|a Go duration >= 0, e.g. 30s or 1m30s (0 for none)",
        "KNETTY_DRAIN_TIMEOUT|0s|a Go duration > 0, e.g. 30s or 1m30s",
        "KNETTY_ACCESS_LOG|text|json, or off (the default)",
        "KNETTY_IO_THREADS|0|1 to 256",
        "KNETTY_MAX_APP_CONNECTS|0|a positive integer",
        "KNETTY_BIND_HOST|' '|an address to bind, e.g. 0.0.0.0",
      })
  void eachBadValueIsNamedWithItsValueAndWhatWasExpected(
      String name, String value, String expected) {
    Map<String, String> env = webhookEnv();
    env.put(name, value);

    assertThatThrownBy(() -> QueueProxyConfig.fromEnvironment(env))
        .isInstanceOf(ConfigException.class)
        .hasMessage(name + ": \"" + value + "\" (expected: " + expected + ")");
  }

  @Test
  void missingRequiredVariables() {
    Map<String, String> env = webhookEnv();
    env.remove("CONTAINER_CONCURRENCY");
    assertThatThrownBy(() -> QueueProxyConfig.fromEnvironment(env))
        .hasMessage(
            "CONTAINER_CONCURRENCY: <unset> (expected: an integer from 0 (no limit) to"
                + " 214748364)");

    Map<String, String> env2 = webhookEnv();
    env2.remove("REVISION_TIMEOUT_SECONDS");
    assertThatThrownBy(() -> QueueProxyConfig.fromEnvironment(env2))
        .hasMessage("REVISION_TIMEOUT_SECONDS: <unset> (expected: a whole number of seconds >= 0)");

    Map<String, String> env3 = webhookEnv();
    env3.remove("SERVING_REVISION");
    assertThatThrownBy(() -> QueueProxyConfig.fromEnvironment(env3))
        .hasMessage(
            "SERVING_REVISION: <unset> (expected: the revision's name when KNETTY_AUTOSCALER is"
                + " set)");
  }

  @Test
  void aBadReadinessProbeIsOneLineNamingTheProblem() {
    Map<String, String> env = webhookEnv();
    env.put("SERVING_READINESS_PROBE", "{\"tcpSocket\":{\"port\":\"http\"}}\n");

    assertThatThrownBy(() -> QueueProxyConfig.fromEnvironment(env))
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e -> {
              assertThat(e.getMessage())
                  .startsWith(
                      "SERVING_READINESS_PROBE: \"{\"tcpSocket\":{\"port\":\"http\"}}\\n\""
                          + " (expected: Knative's readiness probe JSON")
                  .endsWith("tcpSocket.port: http (expected: 1-65535))")
                  .doesNotContain("\n");
            });
  }

  @Test
  void readinessProbeJsonVariants() {
    assertThat(
            ProbeJson.parse(
                "{\"httpGet\":{\"path\":\"healthz\",\"port\":\"8080\",\"host\":\"127.0.0.1\","
                    + "\"scheme\":\"HTTPS\",\"httpHeaders\":[{\"name\":\"X-A\",\"value\":\"1\"}]},"
                    + "\"periodSeconds\":5,\"timeoutSeconds\":2,\"successThreshold\":2,"
                    + "\"failureThreshold\":3,\"initialDelaySeconds\":1}"))
        .containsExactly(
            new ReadinessProbe(
                new ReadinessProbe.HttpGet(
                    true,
                    "127.0.0.1",
                    8080,
                    "healthz",
                    List.of(new ReadinessProbe.Header("X-A", "1"))),
                5,
                2,
                2));
    assertThat(ProbeJson.parse("{\"grpc\":{\"port\":9000,\"service\":\"s\"}}"))
        .containsExactly(
            new ReadinessProbe(new ReadinessProbe.Grpc("127.0.0.1", 9000, "s"), 0, 0, 1));
    // Multi-container probing: a list, all must pass.
    assertThat(
            ProbeJson.parse(
                "[{\"tcpSocket\":{\"port\":8080}},{\"httpGet\":{\"port\":9000,\"path\":\"/\"}}]"))
        .hasSize(2);
    // periodSeconds > 0 and no timeout: 1 s, as Knative encodes it.
    assertThat(ProbeJson.parse("{\"tcpSocket\":{\"port\":8080},\"periodSeconds\":3}").get(0))
        .extracting(ReadinessProbe::timeoutSeconds)
        .isEqualTo(1);
    assertThat(new ReadinessProbe.HttpGet(false, "127.0.0.1", 1, "/a/b", List.of()).target())
        .isEqualTo("/a/b");
    assertThat(new ReadinessProbe.HttpGet(false, "127.0.0.1", 1, "a/b", List.of()).target())
        .isEqualTo("/a/b");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"exec\":{\"command\":[\"true\"]}}|exec probes run in the user container",
        "{}|0 handlers",
        "{\"tcpSocket\":{\"port\":1},\"httpGet\":{\"port\":2}}|2 handlers",
        "{\"tcpSocket\":{\"host\":\"app.local\",\"port\":1}}|host: app.local",
        "{\"httpGet\":{\"port\":1,\"scheme\":\"FTP\"}}|httpGet.scheme: FTP",
        "[]|an empty list of probes",
        "{\"tcpSocket\":{\"port\":1}} x|",
        "not json|",
      })
  void badReadinessProbes(String json, String message) {
    assertThatThrownBy(() -> ProbeJson.parse(json))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(
            e -> {
              if (message != null) {
                assertThat(e.getMessage()).contains(message);
              }
            });
  }
}
