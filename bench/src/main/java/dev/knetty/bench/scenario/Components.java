package dev.knetty.bench.scenario;

import dev.knetty.bench.sampleapp.SampleApp;
import dev.knetty.bench.sampleapp.SampleAppCommand;
import dev.knetty.queueproxy.QueueProxyCommand;
import dev.knetty.queueproxy.SidecarJvmOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Knetty's components as child processes of a scenario, started as they are deployed: the sample
 * app, a queue-proxy in front of it, an activator reading an endpoints file. Each is a separate JVM
 * so that its CPU time and resident set can be measured from {@code /proc}.
 */
public final class Components {

  /** The sidecar JVM settings of {@code bin/knetty queue-proxy}. */
  public static final List<String> QUEUE_PROXY_JVM = SidecarJvmOptions.OPTIONS;

  /** The activator as the Helm chart runs it: heap 75% of its 1 GiB limit, the default GC. */
  public static final List<String> ACTIVATOR_JVM =
      List.of("-Xmx768m", "-XX:+ExitOnOutOfMemoryError");

  /** The sample app: a small fixed heap, no GC threads competing for the cores. */
  public static final List<String> SAMPLE_APP_JVM =
      List.of("-Xms64m", "-Xmx256m", "-XX:+UseSerialGC");

  /** How long a component may take to print its ready line (a busy 2-core machine is slow). */
  static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private static final Pattern QUEUE_PROXY_READY =
      Pattern.compile("queue-proxy ready: serving port (\\d+), .*metrics port (\\d+)");
  private static final Pattern ACTIVATOR_READY =
      Pattern.compile("knetty activator: port (\\d+), metrics port (-?\\d+)");

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Components() {}

  /**
   * A started server.
   *
   * @param base {@code http://127.0.0.1:PORT/}
   * @param metricsPort its Prometheus port, -1 if none
   */
  public record Server(ChildProcess process, URI base, int metricsPort) {

    public int port() {
      return base.getPort();
    }
  }

  /** Starts the sample app on a free loopback port and waits until it answers. */
  public static Server sampleApp(ScenarioContext context, String name, List<String> jvmArgs)
      throws IOException, InterruptedException {
    ChildProcess app =
        context
            .processes()
            .startJava(
                name, SampleApp.class.getName(), jvmArgs, List.of("--port=0", "--host=127.0.0.1"));
    String ready = app.awaitLine(l -> l.startsWith(SampleAppCommand.READY_PREFIX), START_TIMEOUT);
    URI base = URI.create(ready.substring(SampleAppCommand.READY_PREFIX.length()).trim() + "/");
    context.awaitReady(base.resolve("/healthz"), Map.of(), START_TIMEOUT);
    return new Server(app, base, -1);
  }

  /**
   * Starts a queue-proxy in front of {@code appPort} with Knative's environment, every port free
   * and on loopback, and no drain quiet period (so that it stops at once).
   *
   * @param extraEnv added last (e.g. {@code KNETTY_IO_THREADS})
   */
  public static Server queueProxy(
      ScenarioContext context,
      String name,
      int appPort,
      int containerConcurrency,
      List<String> jvmArgs,
      Map<String, String> extraEnv)
      throws IOException, InterruptedException {
    Map<String, String> env = new HashMap<>();
    env.put("CONTAINER_CONCURRENCY", Integer.toString(containerConcurrency));
    env.put("REVISION_TIMEOUT_SECONDS", "300");
    env.put("USER_PORT", Integer.toString(appPort));
    env.put("QUEUE_SERVING_PORT", "0");
    env.put("QUEUE_ADMIN_PORT", "0");
    env.put("QUEUE_STATS_PORT", "0");
    env.put("QUEUE_METRICS_PORT", "0");
    env.put("KNETTY_BIND_HOST", "127.0.0.1");
    env.put("SERVING_NAMESPACE", "default");
    env.put("SERVING_REVISION", "hello");
    env.put("SERVING_POD", name);
    env.put("KNETTY_DRAIN_QUIET_PERIOD", "0s");
    env.put("KNETTY_DRAIN_TIMEOUT", "5s");
    env.put("MALLOC_ARENA_MAX", "2"); // as bin/knetty sets it for the sidecar
    env.putAll(extraEnv);
    ChildProcess qp =
        context
            .processes()
            .startJava(name, QueueProxyCommand.class.getName(), jvmArgs, List.of(), env);
    Matcher m = match(qp, QUEUE_PROXY_READY);
    URI base = URI.create("http://127.0.0.1:" + m.group(1) + "/");
    return new Server(qp, base, Integer.parseInt(m.group(2)));
  }

  /**
   * Starts an activator reading {@code endpointsFile} (polled every 100 ms), on free loopback
   * ports, with no drain delay.
   *
   * @param extraArgs more options, e.g. limits
   */
  public static Server activator(
      ScenarioContext context,
      String name,
      Path endpointsFile,
      List<String> jvmArgs,
      List<String> extraArgs)
      throws IOException, InterruptedException {
    List<String> args = new ArrayList<>();
    args.add("--endpoints=" + endpointsFile);
    args.add("--endpoints-poll-interval=100ms");
    args.add("--host=127.0.0.1");
    args.add("--port=0");
    args.add("--metrics-port=0");
    args.add("--drain-delay=0s");
    args.add("--shutdown-timeout=5s");
    args.addAll(extraArgs);
    ChildProcess activator =
        context.processes().startJava(name, ActivatorMain.class.getName(), jvmArgs, args);
    Matcher m = match(activator, ACTIVATOR_READY);
    URI base = URI.create("http://127.0.0.1:" + m.group(1) + "/");
    return new Server(activator, base, Integer.parseInt(m.group(2)));
  }

  private static Matcher match(ChildProcess child, Pattern ready) throws InterruptedException {
    Matcher m = ready.matcher(child.awaitLine(l -> ready.matcher(l).find(), START_TIMEOUT));
    if (!m.find()) {
      throw new IllegalStateException(child.name() + ": no ready line"); // matched a moment ago
    }
    return m;
  }

  /**
   * One revision of an activator endpoints file.
   *
   * @param endpoints the pods, {@code 127.0.0.1:PORT}; empty: no pods (requests wait)
   */
  public record Revision(String name, int containerConcurrency, List<String> endpoints) {
    public Revision {
      endpoints = List.copyOf(endpoints);
    }
  }

  /**
   * Writes an activator endpoints file (namespace {@code default}) atomically: the activator sees
   * the old or the new file, never half of one.
   */
  public static void writeEndpoints(Path file, List<Revision> revisions) throws IOException {
    StringBuilder yaml = new StringBuilder("revisions:\n");
    for (Revision r : revisions) {
      yaml.append("  - namespace: default\n")
          .append("    name: ")
          .append(r.name())
          .append('\n')
          .append("    containerConcurrency: ")
          .append(r.containerConcurrency())
          .append('\n')
          .append("    endpoints:");
      if (r.endpoints().isEmpty()) {
        yaml.append(" []\n");
      } else {
        yaml.append('\n');
        for (String address : r.endpoints()) {
          yaml.append("      - ").append(address).append('\n');
        }
      }
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, yaml, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** A loopback port free a moment ago (for servers that cannot report the port they got). */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * The body of {@code GET uri}.
   *
   * @throws IOException if it does not answer 200 within 10 seconds
   */
  public static String fetch(URI uri) throws IOException, InterruptedException {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(uri + ": status " + response.statusCode() + " (expected: 200)");
    }
    return response.body();
  }

  /** The headers that route a request to revision {@code default/<name>} through an activator. */
  public static Map<String, String> routeTo(String revision) {
    return Map.of("Knative-Serving-Namespace", "default", "Knative-Serving-Revision", revision);
  }
}
