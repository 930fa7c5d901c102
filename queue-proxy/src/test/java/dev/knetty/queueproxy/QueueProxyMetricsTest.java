package dev.knetty.queueproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Prometheus meters on the metrics port, and the JSON access log. */
class QueueProxyMetricsTest extends QueueProxyTestSupport {

  private String scrape() throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + qp.metricsPort() + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse(""))
        .startsWith("text/plain; version=0.0.4");
    return r.body();
  }

  @Test
  void theMetricsPortCarriesTheQueueProxyAndProcessMeters() throws Exception {
    startApp();
    startQueueProxy(
        config()
            .containerConcurrency(1)
            .autoscaler("127.0.0.1:" + QueueProxyProxyingTest.freePort())
            .build());
    for (int i = 0; i < 3; i++) {
      assertThat(get("/").statusCode()).isEqualTo(200);
    }
    assertThat(get("/status/404").statusCode()).isEqualTo(404);
    await()
        .atMost(WAIT)
        .until(() -> qp.meterRegistry().get("queueproxy.request.duration").timer().count() == 4);
    assertThat(get("/", "K-Network-Probe", "queue").body()).isEqualTo("queue");
    CompletableFuture<HttpResponse<String>> executing = getAsync("/hold/1");
    await().atMost(WAIT).until(() -> app.heldCount() == 1);
    CompletableFuture<HttpResponse<String>> waiting1 = getAsync("/hold/2");
    CompletableFuture<HttpResponse<String>> waiting2 = getAsync("/hold/3");
    await().atMost(WAIT).until(() -> qp.policy().breaker().waiting() == 2);

    String metrics = scrape();

    assertThat(metrics)
        .contains("queueproxy_requests_total{code_class=\"2xx\"} 3.0")
        .contains("queueproxy_requests_total{code_class=\"4xx\"} 1.0")
        .contains("queueproxy_requests_total{code_class=\"5xx\"} 0.0")
        .contains("queueproxy_request_duration_seconds_bucket{le=")
        .contains("queueproxy_request_duration_seconds_count 4")
        .contains("queueproxy_queue_depth 2.0")
        .contains("queueproxy_executing 1.0")
        .contains("queueproxy_breaker_rejections_total 0.0")
        .contains("queueproxy_timeouts_total 0.0")
        .contains("queueproxy_client_aborts_total 0.0")
        .contains("queueproxy_upstream_errors_total{reason=\"connect\"} 0.0")
        .contains("queueproxy_upstream_errors_total{reason=\"upstream\"} 0.0")
        .contains("queueproxy_probes_total{result=\"ready\"} 1.0")
        .contains("queueproxy_kmp_batches_total{result=\"sent\"}")
        .contains("queueproxy_kmp_reconnects_total")
        .contains("queueproxy_kmp_connected 0.0")
        .contains("queueproxy_rejected_heads_total 0.0")
        .contains("jvm_memory_used_bytes")
        .contains("netty_eventexecutor_tasks_pending{group=\"queue-proxy\"")
        // No per-request tag values: no paths, user agents or addresses.
        .doesNotContain("/hold")
        .doesNotContain("127.0.0.1");
    await()
        .atMost(WAIT)
        .until(
            () -> {
              app.releaseAll();
              return executing.isDone() && waiting1.isDone() && waiting2.isDone();
            });
  }

  @Test
  void theAccessLogWritesOneJsonLinePerRequest() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    startApp();
    startQueueProxy(
        config().accessLog(true).build(),
        b -> b.accessLogOut(new PrintStream(out, true, StandardCharsets.UTF_8)));

    get("/", "K-Network-Probe", "queue"); // probes are not logged: the one line is the request's
    get("/status/201?x=\"y\"".replace("\"", "%22"), "User-Agent", "tester \"quoted\"\t1");

    await().atMost(WAIT).until(() -> out.toString(StandardCharsets.UTF_8).endsWith("\n"));
    String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
    assertThat(lines).hasSize(1);
    JsonNode line = new ObjectMapper().readTree(lines[0]);
    assertThat(line.get("method").asText()).isEqualTo("GET");
    assertThat(line.get("uri").asText()).isEqualTo("/status/201?x=%22y%22");
    assertThat(line.get("status").asInt()).isEqualTo(201);
    assertThat(line.get("outcome").asText()).isEqualTo("PROXIED");
    assertThat(line.get("protocol").asText()).isEqualTo("HTTP/1.1");
    assertThat(line.get("userAgent").asText()).isEqualTo("tester \"quoted\"\t1");
    assertThat(line.get("remoteIp").asText()).isEqualTo("127.0.0.1");
    assertThat(line.get("proxied").asBoolean()).isFalse();
    assertThat(line.get("revision").asText()).isEqualTo("default/hello-00001");
    assertThat(line.get("pod").asText()).isEqualTo("hello-00001-deployment-abc");
    assertThat(line.get("latencySeconds").asDouble()).isPositive();
    assertThat(line.has("time")).isTrue();
  }
}
