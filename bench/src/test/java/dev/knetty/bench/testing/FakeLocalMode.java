package dev.knetty.bench.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for {@code knetty local} with the same contract as far as the local-mode scenarios use
 * it: {@code -f FILE --port=P --admin-port=A} (other options ignored), the YAML file's revisions
 * (name, namespace, command, containerConcurrency, annotations; the command gets {@code PORT}),
 * requests routed by {@code Knative-Serving-Revision} on the activator port, starting the
 * revision's one pod (the command itself, no queue-proxy) when it has none and stopping it after
 * one idle second, and {@code GET /revisions} with {@code desiredScale} and {@code readyPods}.
 */
public final class FakeLocalMode {

  private static final Duration IDLE = Duration.ofSeconds(1);

  private final HttpClient client = HttpClient.newHttpClient();
  private final Map<String, Pod> pods = new LinkedHashMap<>();

  /** One revision and its pod, if running. */
  private static final class Pod {
    final List<String> command;
    Process process;
    int port;
    int inFlight;
    long idleSince = System.nanoTime();

    Pod(List<String> command) {
      this.command = command;
    }
  }

  private FakeLocalMode(JsonNode file) {
    for (JsonNode r : file.get("revisions")) {
      List<String> command = new ArrayList<>();
      r.get("command").forEach(c -> command.add(c.asText()));
      for (String key : List.of("name", "namespace", "containerConcurrency")) {
        if (!r.has(key)) {
          throw new IllegalArgumentException("revision without " + key + ": " + r);
        }
      }
      pods.put(r.get("name").asText(), new Pod(command));
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("-f")) {
        options.put("-f", args[++i]);
      } else if (args[i].contains("=")) {
        options.put(
            args[i].substring(0, args[i].indexOf('=')),
            args[i].substring(args[i].indexOf('=') + 1));
      }
    }
    JsonNode file =
        new ObjectMapper(new YAMLFactory()).readTree(Path.of(options.get("-f")).toFile());
    FakeLocalMode local = new FakeLocalMode(file);
    HttpServer activator = server(Integer.parseInt(options.get("--port")));
    activator.createContext("/", local::proxy);
    HttpServer admin = server(Integer.parseInt(options.get("--admin-port")));
    admin.createContext("/revisions", local::revisions);
    Executors.newSingleThreadScheduledExecutor()
        .scheduleAtFixedRate(local::scaleDown, 100, 100, TimeUnit.MILLISECONDS);
    Runtime.getRuntime().addShutdownHook(new Thread(local::stopAll));
    activator.start();
    admin.start();
    System.out.println("fake knetty local: ready");
  }

  private static HttpServer server(int port) throws IOException {
    HttpServer s =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
    s.setExecutor(Executors.newCachedThreadPool());
    return s;
  }

  private void proxy(HttpExchange ex) throws IOException {
    String name = ex.getRequestHeaders().getFirst("Knative-Serving-Revision");
    Pod pod;
    int port;
    synchronized (this) {
      pod = pods.get(name);
      if (pod == null) {
        reply(ex, 404, "no such revision " + name);
        return;
      }
      pod.inFlight++;
    }
    try {
      port = ensureStarted(pod);
      HttpResponse<byte[]> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + ex.getRequestURI()))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      reply(ex, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reply(ex, 503, "interrupted");
    } catch (IOException e) {
      reply(ex, 502, e.toString());
    } finally {
      synchronized (this) {
        pod.inFlight--;
        pod.idleSince = System.nanoTime();
      }
    }
  }

  /** Starts the pod if it has none, and waits until it answers. */
  private int ensureStarted(Pod pod) throws IOException, InterruptedException {
    int port;
    synchronized (pod) {
      synchronized (this) {
        if (pod.process != null) {
          return pod.port;
        }
      }
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      ProcessBuilder b = new ProcessBuilder(pod.command).redirectErrorStream(true);
      b.redirectOutput(ProcessBuilder.Redirect.DISCARD);
      b.environment().put("PORT", Integer.toString(port));
      Process process = b.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        try {
          client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
              HttpResponse.BodyHandlers.discarding());
          break;
        } catch (IOException e) {
          if (System.nanoTime() > deadline || !process.isAlive()) {
            process.destroyForcibly();
            throw e;
          }
          TimeUnit.MILLISECONDS.sleep(20);
        }
      }
      synchronized (this) {
        pod.process = process;
        pod.port = port;
      }
      return port;
    }
  }

  private synchronized void scaleDown() {
    long now = System.nanoTime();
    for (Pod pod : pods.values()) {
      if (pod.process != null && pod.inFlight == 0 && now - pod.idleSince > IDLE.toNanos()) {
        pod.process.destroy();
        pod.process = null;
      }
    }
  }

  private synchronized void stopAll() {
    pods.values().stream().filter(p -> p.process != null).forEach(p -> p.process.destroyForcibly());
  }

  private void revisions(HttpExchange ex) throws IOException {
    StringBuilder json = new StringBuilder("{\"revisions\": [");
    synchronized (this) {
      String sep = "";
      for (Map.Entry<String, Pod> e : pods.entrySet()) {
        boolean up = e.getValue().process != null || e.getValue().inFlight > 0;
        json.append(sep)
            .append("{\"namespace\": \"default\", \"name\": \"")
            .append(e.getKey())
            .append("\", \"desiredScale\": ")
            .append(up ? 1 : 0)
            .append(", \"readyPods\": ")
            .append(e.getValue().process != null ? 1 : 0)
            .append('}');
        sep = ", ";
      }
    }
    reply(ex, 200, json.append("]}").toString());
  }

  private static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }
}
