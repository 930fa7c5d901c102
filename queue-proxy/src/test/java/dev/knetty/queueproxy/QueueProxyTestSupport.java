package dev.knetty.queueproxy;

import static org.awaitility.Awaitility.await;

import dev.knetty.common.net.Transport;
import dev.knetty.common.testing.RawHttp;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;

/** Starts an app and a queue-proxy in front of it on loopback; closes everything after a test. */
abstract class QueueProxyTestSupport {

  static final Duration WAIT = Duration.ofSeconds(30);

  final Transport transport = Transport.fromEnvironment();
  final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  TestApp app;
  QueueProxy qp;

  TestApp startApp() {
    app = closeLater(TestApp.start(transport));
    return app;
  }

  /** The test defaults: loopback, free ports, the app's port, a TCP probe, 200 ms quiet period. */
  QueueProxyConfig.Builder config() {
    return QueueProxyConfig.builder()
        .bindHost("127.0.0.1")
        .ports(0, 0, 0, 0)
        .userPort(app.port())
        .ioThreads(2)
        .namespace("default")
        .revision("hello-00001")
        .pod("hello-00001-deployment-abc")
        .readinessProbes(List.of(ReadinessProbe.tcp(app.port())))
        .drainQuietPeriod(Duration.ofMillis(200));
  }

  QueueProxy startQueueProxy(QueueProxyConfig config) {
    return startQueueProxy(config, b -> b);
  }

  QueueProxy startQueueProxy(QueueProxyConfig config, UnaryOperator<QueueProxy.Builder> customize) {
    qp = customize.apply(QueueProxy.builder(config).transport(transport)).start();
    return qp;
  }

  <T extends AutoCloseable> T closeLater(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + qp.servingPort() + path);
  }

  HttpResponse<String> get(String path, String... headers)
      throws IOException, InterruptedException {
    return http.send(request(path, headers), HttpResponse.BodyHandlers.ofString());
  }

  CompletableFuture<HttpResponse<String>> getAsync(String path, String... headers) {
    return http.sendAsync(request(path, headers), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest request(String path, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(WAIT);
    if (headers.length > 0) {
      b.headers(headers);
    }
    return b.build();
  }

  /** The count of the counter {@code name} with {@code tags} (name, value, ...). */
  double count(String name, String... tags) {
    return qp.meterRegistry().get(name).tags(tags).counter().count();
  }

  /**
   * Waits until the counter reaches {@code n}: exchanges are counted when they complete, which may
   * be just after the client has its answer.
   */
  void awaitCount(double n, String name, String... tags) {
    await().atMost(WAIT).until(() -> count(name, tags) == n);
  }

  /** A raw connection to the serving port. */
  RawHttp raw() throws IOException {
    return closeLater(new RawHttp(qp.servingPort()));
  }

  @AfterEach
  void closeAll() throws Exception {
    if (qp != null) {
      qp.close();
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }
}
