package dev.knetty.activator;

import static org.awaitility.Awaitility.await;

import dev.knetty.activator.endpoints.InMemoryEndpointSource;
import dev.knetty.activator.endpoints.PodEndpoint;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.RevisionSettings;
import dev.knetty.common.net.Transport;
import dev.knetty.common.testing.H2cClient;
import io.netty.channel.EventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;

/**
 * An activator on loopback with an in-memory endpoint source, fake pods and clients; everything is
 * closed after each test. Probing is quick and generous (no timing is asserted).
 */
abstract class ActivatorTestSupport {

  static final Duration WAIT = Duration.ofSeconds(60);
  static final RevisionKey HELLO = RevisionKey.parse("default/hello");

  final EventLoopGroup group = Transport.fromEnvironment().newEventLoopGroup(2, "test");
  final InMemoryEndpointSource source = new InMemoryEndpointSource();
  final List<AutoCloseable> closeables = new ArrayList<>();
  final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(30))
          .build();
  Activator activator;

  @AfterEach
  void closeEverything() throws Exception {
    if (activator != null) {
      activator.close();
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** The test defaults: free ports, quick probes, no drain delay, a reporting tick of an hour. */
  static ActivatorConfig.Builder config() {
    return ActivatorConfig.builder()
        .host("127.0.0.1")
        .port(0)
        .metricsPort(0)
        .probeInterval(Duration.ofMillis(20))
        .probeTimeout(Duration.ofSeconds(5))
        .reportingPeriod(Duration.ofHours(1))
        .drainDelay(Duration.ZERO)
        .shutdownTimeout(Duration.ofSeconds(60))
        .eventLoopThreads(2);
  }

  Activator start(ActivatorConfig.Builder config) {
    activator = Activator.builder(config.build()).endpointSource(source).build();
    activator.start();
    return activator;
  }

  FakePod pod() {
    FakePod pod = new FakePod(group);
    closeables.add(pod);
    return pod;
  }

  H2cClient h2c() {
    H2cClient client = new H2cClient(group, activator.port());
    closeables.add(client);
    return client;
  }

  void revision(RevisionKey key, int containerConcurrency) {
    revision(key, new RevisionSettings(containerConcurrency, 300, 0, 0, 8080));
  }

  void revision(RevisionKey key, RevisionSettings settings) {
    source.upsertRevision(key, settings);
    await().atMost(WAIT).until(() -> activator.revision(key) != null);
  }

  void endpoints(RevisionKey key, FakePod... pods) {
    List<PodEndpoint> list = new ArrayList<>();
    for (FakePod p : pods) {
      list.add(PodEndpoint.ready("127.0.0.1", p.port()));
    }
    source.setEndpoints(key, list);
  }

  /** A revision with unlimited concurrency and one healthy pod. */
  FakePod servingPod(RevisionKey key) {
    revision(key, 0);
    FakePod pod = pod();
    endpoints(key, pod);
    awaitHealthy(key, 1);
    return pod;
  }

  /** Waits until the throttler of {@code key} has {@code pods} healthy pods. */
  void awaitHealthy(RevisionKey key, int pods) {
    await().atMost(WAIT).until(() -> activator.revision(key).throttler.pods() == pods);
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + activator.port() + path);
  }

  /** A GET for {@code key} through the routing headers. */
  CompletableFuture<HttpResponse<String>> get(RevisionKey key, String path) {
    return send(key, HttpRequest.newBuilder(uri(path)).GET(), b -> {});
  }

  CompletableFuture<HttpResponse<String>> send(
      RevisionKey key, HttpRequest.Builder request, Consumer<HttpRequest.Builder> more) {
    request.timeout(WAIT);
    if (key != null) {
      request.header("Knetty-Revision", key.name()).header("Knetty-Namespace", key.namespace());
    }
    more.accept(request);
    return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A request for {@code key} that must wait (it is counted as waiting before this returns). */
  CompletableFuture<HttpResponse<String>> waitingGet(RevisionKey key) {
    int before = activator.revision(key).waiting();
    CompletableFuture<HttpResponse<String>> f = get(key, "/");
    await().atMost(WAIT).until(() -> activator.revision(key).waiting() > before);
    return f;
  }

  static HttpResponse<String> join(CompletableFuture<HttpResponse<String>> f) {
    return f.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
  }

  /** One HTTP/1.1 exchange on a raw socket: status line, lower-case headers and body. */
  record Raw(String statusLine, Map<String, String> headers, String body) {
    int status() {
      return Integer.parseInt(statusLine.split(" ")[1]);
    }
  }

  /** Sends {@code head} (without the final blank line) and reads one response. */
  Raw raw(String head) throws IOException {
    try (Socket s = new Socket("127.0.0.1", activator.port())) {
      s.setSoTimeout((int) WAIT.toMillis());
      OutputStream out = s.getOutputStream();
      out.write((head + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return readResponse(s.getInputStream());
    }
  }

  static Raw readResponse(InputStream in) throws IOException {
    String status = line(in);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String l = line(in); !l.isEmpty(); l = line(in)) {
      int colon = l.indexOf(':');
      headers.put(
          l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    byte[] body = in.readNBytes(length);
    return new Raw(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("connection closed after " + b);
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }
}
