package dev.knetty.activator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** {@code /metrics} on the metrics port. */
class ActivatorMetricsTest extends ActivatorTestSupport {

  private String scrape() throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + activator.metricsPort() + "/metrics"))
                .timeout(WAIT)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  @Test
  void theMetricsPortServesActivatorJvmAndEventLoopMeters() throws Exception {
    start(config());
    revision(HELLO, 1);
    waitingGet(HELLO);

    String body = scrape();

    assertThat(body)
        .contains(
            "knetty_activator_revision_buffered_requests{namespace=\"default\",revision=\"hello\"} 1.0",
            "knetty_activator_revision_buffered_bytes{namespace=\"default\",revision=\"hello\"}",
            "knetty_activator_revision_capacity{namespace=\"default\",revision=\"hello\"} 0.0",
            "knetty_activator_buffered_requests 1.0",
            "knetty_activator_rejected_total{reason=\"revision_requests\"} 0.0",
            "knetty_activator_cold_start_wait_seconds_bucket",
            "knetty_activator_probes_total",
            "knetty_activator_upstream_retries_total",
            "jvm_memory_used_bytes",
            "netty_eventexecutor_tasks_pending");

    source.removeRevision(HELLO);
    await().atMost(WAIT).until(() -> !scrape().contains("revision=\"hello\""));
  }
}
