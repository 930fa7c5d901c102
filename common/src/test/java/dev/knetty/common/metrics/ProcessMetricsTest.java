package dev.knetty.common.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.common.http.AdminHttpServer;
import dev.knetty.common.http.AdminHttpServerConfig;
import dev.knetty.common.net.Transport;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code GET /metrics} over loopback with the process registry. */
class ProcessMetricsTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private final Transport transport = Transport.select(Transport.Kind.AUTO);
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(WAIT).build();
  private ProcessMetrics metrics;
  private EventLoopGroup group;
  private AdminHttpServer server;
  private int port;

  @BeforeEach
  void setUp() {
    metrics = ProcessMetrics.create();
    group = transport.newEventLoopGroup(2, "metrics-test");
    server =
        AdminHttpServer.builder(AdminHttpServerConfig.of("127.0.0.1", 0))
            .eventLoops(transport, group)
            .get("/metrics", metrics.scrapeHandler())
            .get(
                "/refused",
                new PrometheusScrapeHandler(
                    metrics.registry(),
                    task -> {
                      throw new RejectedExecutionException("busy");
                    }))
            .build();
    port = server.start();
  }

  @AfterEach
  void tearDown() {
    server.close();
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    metrics.close();
  }

  private HttpResponse<String> scrape(String path, String accept) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(WAIT);
    if (accept != null) {
      request.header("Accept", accept);
    }
    return client.send(request.build(), BodyHandlers.ofString());
  }

  @Test
  void servesThePrometheusTextFormatWithJvmMeters() throws Exception {
    HttpResponse<String> r = scrape("/metrics", null);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type"))
        .hasValue("text/plain; version=0.0.4; charset=utf-8");
    assertThat(r.body())
        .contains("jvm_memory_used_bytes{")
        .contains("jvm_gc_")
        .contains("jvm_threads_live_threads")
        .contains("jvm_classes_loaded_classes")
        .contains("system_cpu_count")
        .contains("process_uptime_seconds")
        .doesNotContain("# EOF");
  }

  @Test
  void servesOpenMetricsWhenAsked() throws Exception {
    // What Prometheus sends by default.
    HttpResponse<String> r =
        scrape(
            "/metrics",
            "application/openmetrics-text;version=1.0.0;q=0.5,"
                + "text/plain;version=0.0.4;q=0.2,*/*;q=0.1");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type"))
        .hasValue("application/openmetrics-text; version=1.0.0; charset=utf-8");
    assertThat(r.body()).contains("jvm_memory_used_bytes{").endsWith("# EOF\n");
  }

  @Test
  void eventLoopMetricsAppearOnceBound() throws Exception {
    assertThat(scrape("/metrics", null).body()).doesNotContain("netty_eventexecutor");

    metrics.bindEventLoops("admin", group);

    assertThat(scrape("/metrics", null).body())
        .contains("netty_eventexecutor_tasks_pending{group=\"admin\",name=\"metrics-test-")
        .contains("netty_eventexecutor_workers{group=\"admin\"} 2.0");
  }

  @Test
  void allocatorMetricsForAllocatorsThatExposeThem() throws Exception {
    assertThat(metrics.bindAllocator(UnpooledByteBufAllocator.DEFAULT)).isTrue();
    ByteBufAllocator opaque =
        new AbstractByteBufAllocator() {
          @Override
          protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return UnpooledByteBufAllocator.DEFAULT.heapBuffer(initialCapacity, maxCapacity);
          }

          @Override
          protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return UnpooledByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity);
          }

          @Override
          public boolean isDirectBufferPooled() {
            return false;
          }
        };
    assertThat(metrics.bindAllocator(opaque)).isFalse();
    // ByteBufAllocator.DEFAULT was bound at creation.
    assertThat(scrape("/metrics", null).body()).contains("netty_allocator_memory_used");
  }

  @Test
  void aRefusedScrapeIs503() throws Exception {
    HttpResponse<String> r = scrape("/refused", null);
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).isEqualTo("too many scrapes in progress\n");
  }

  @Test
  void negotiatesOnlyTextAndOpenMetrics() {
    assertThat(PrometheusScrapeHandler.negotiate(null))
        .isEqualTo(PrometheusScrapeHandler.TEXT_CONTENT_TYPE);
    assertThat(PrometheusScrapeHandler.negotiate("text/plain"))
        .isEqualTo(PrometheusScrapeHandler.TEXT_CONTENT_TYPE);
    assertThat(
            PrometheusScrapeHandler.negotiate(
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily"))
        .isEqualTo(PrometheusScrapeHandler.TEXT_CONTENT_TYPE);
    assertThat(PrometheusScrapeHandler.negotiate("application/openmetrics-text"))
        .isEqualTo(PrometheusScrapeHandler.OPENMETRICS_CONTENT_TYPE);
  }

  @Test
  void closeClosesTheRegistry() {
    ProcessMetrics other = ProcessMetrics.create();
    other.close();
    assertThat(other.registry().isClosed()).isTrue();
  }
}
