package dev.knetty.bench.scenario.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.knetty.bench.sampleapp.SampleApp;
import dev.knetty.bench.scenario.ChildProcess;
import dev.knetty.bench.scenario.Components;
import dev.knetty.bench.scenario.ScenarioContext;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code knetty local} as a child process of a scenario, driven only over HTTP: a generated YAML
 * file of revisions that each run the sample app, the activator's port for requests (routed with
 * Knative's {@code Knative-Serving-Revision}/{@code -Namespace} headers) and the autoscaler admin's
 * {@code GET /revisions} for pod counts. The bench module cannot depend on the launcher (the dist
 * module depends on bench), so the command is found at run time: see {@link #defaultCommand()}.
 */
public final class LocalMode {

  /** The launcher's main class, on the class path when the benchmark runs from the dist jar. */
  static final String LAUNCHER = "dev.knetty.dist.Knetty";

  /** Namespace of every generated revision. */
  public static final String NAMESPACE = "default";

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One revision of the generated file, running the sample app.
   *
   * @param annotations Knative annotations, e.g. {@code autoscaling.knative.dev/window}
   */
  public record Revision(String name, int containerConcurrency, Map<String, String> annotations) {
    public Revision {
      Objects.requireNonNull(name, "name");
      annotations = Map.copyOf(annotations);
      if (!name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || name.length() > 63) {
        throw new IllegalArgumentException("name: " + name + " (expected: a DNS label)");
      }
    }
  }

  /** A revision as {@code GET /revisions} shows it. */
  public record Pods(String name, int desired, int ready) {}

  private final ChildProcess process;
  private final URI activator;
  private final int adminPort;

  private LocalMode(ChildProcess process, URI activator, int adminPort) {
    this.process = process;
    this.activator = activator;
    this.adminPort = adminPort;
  }

  /**
   * {@code java <this JVM's class path> dev.knetty.dist.Knetty local}, or empty when the launcher
   * is not on the class path (the bench module's own tests).
   */
  public static List<String> defaultCommand() {
    try {
      Class.forName(LAUNCHER, false, LocalMode.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      return List.of();
    }
    return List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp",
        System.getProperty("java.class.path"),
        LAUNCHER,
        "local");
  }

  /**
   * The YAML file local mode reads: the cluster settings (scale-to-zero grace period, zero initial
   * scale allowed) and each revision running the sample app on {@code $PORT}.
   *
   * @param autoscaler config-autoscaler keys and values; empty: none
   */
  static String yaml(
      List<Revision> revisions, List<String> appJvmArgs, Map<String, String> autoscaler) {
    StringBuilder y = new StringBuilder();
    if (!autoscaler.isEmpty()) {
      y.append("autoscaler:\n");
      autoscaler.forEach(
          (k, v) -> y.append("  ").append(k).append(": ").append(quote(v)).append('\n'));
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(appJvmArgs);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(SampleApp.class.getName());
    command.add("--host=127.0.0.1"); // the port comes from $PORT
    y.append("revisions:\n");
    for (Revision r : revisions) {
      y.append("  - name: ").append(r.name()).append('\n');
      y.append("    namespace: ").append(NAMESPACE).append('\n');
      y.append("    command: [");
      for (int i = 0; i < command.size(); i++) {
        y.append(i == 0 ? "" : ", ").append(quote(command.get(i)));
      }
      y.append("]\n");
      y.append("    containerConcurrency: ").append(r.containerConcurrency()).append('\n');
      if (!r.annotations().isEmpty()) {
        y.append("    annotations:\n");
        r.annotations()
            .forEach(
                (k, v) -> y.append("      ").append(k).append(": ").append(quote(v)).append('\n'));
      }
    }
    return y.toString();
  }

  /** A YAML double-quoted scalar (JSON string syntax is valid YAML). */
  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Writes the file and starts local mode on free loopback ports; returns once {@code /revisions}
   * lists every revision.
   *
   * @param command the command that runs {@code knetty local}, options are appended
   */
  public static LocalMode start(
      ScenarioContext context,
      List<String> command,
      List<Revision> revisions,
      List<String> appJvmArgs,
      Map<String, String> autoscaler,
      Duration startTimeout)
      throws IOException, InterruptedException {
    if (command.isEmpty()) {
      throw new IllegalStateException(
          "knetty local is not on the class path: run the benchmark from the dist jar (bin/knetty"
              + " bench ...) or name the command with --local-command");
    }
    Path dir = context.runDir().toAbsolutePath();
    Files.createDirectories(dir);
    Path file = dir.resolve("local.yaml");
    Files.writeString(file, yaml(revisions, appJvmArgs, autoscaler), StandardCharsets.UTF_8);
    int port = Components.freePort();
    int adminPort = Components.freePort();
    List<String> full = new ArrayList<>(command);
    full.addAll(
        List.of(
            "-f",
            file.toString(),
            "--port=" + port,
            "--admin-port=" + adminPort,
            "--metrics-port=-1",
            "--quiet",
            "--log-dir=" + dir.resolve("local-pods")));
    ChildProcess process = context.processes().start("knetty-local", full);
    LocalMode local =
        new LocalMode(process, URI.create("http://127.0.0.1:" + port + "/"), adminPort);
    local.awaitPods(pods -> pods.size() >= revisions.size(), startTimeout, "every revision listed");
    return local;
  }

  /** {@code http://127.0.0.1:PORT/} of the activator. */
  public URI activator() {
    return activator;
  }

  public ChildProcess process() {
    return process;
  }

  /** The headers that route a request to {@code revision} through the activator. */
  public static Map<String, String> routeTo(String revision) {
    return Map.of("Knative-Serving-Namespace", NAMESPACE, "Knative-Serving-Revision", revision);
  }

  /**
   * Every revision's desired and ready pods, by name.
   *
   * @throws IOException if the admin port does not answer 200 with the expected JSON
   */
  public Map<String, Pods> pods() throws IOException, InterruptedException {
    return parse(Components.fetch(URI.create("http://127.0.0.1:" + adminPort + "/revisions")));
  }

  /** {@code {"revisions": [{"name", "desiredScale", "readyPods", ...}]}}, namespace default. */
  static Map<String, Pods> parse(String json) throws IOException {
    JsonNode list = JSON.readTree(json).path("revisions");
    if (!list.isArray()) {
      throw new IOException("/revisions: no 'revisions' list in " + abbreviate(json));
    }
    Map<String, Pods> pods = new LinkedHashMap<>();
    for (JsonNode r : list) {
      if (!NAMESPACE.equals(r.path("namespace").asText(NAMESPACE))) {
        continue;
      }
      String name = r.path("name").asText();
      pods.put(
          name, new Pods(name, r.path("desiredScale").asInt(-1), r.path("readyPods").asInt(0)));
    }
    return pods;
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }

  /**
   * Polls {@code /revisions} every 200 ms until {@code done} holds.
   *
   * @param what for the error message
   * @throws IllegalStateException on timeout, or if local mode exits
   */
  public Map<String, Pods> awaitPods(
      Predicate<Map<String, Pods>> done, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "knetty local exited while waiting for " + what + "; see " + process.log());
      }
      try {
        Map<String, Pods> pods = pods();
        if (done.test(pods)) {
          return pods;
        }
        last = pods.values().toString();
      } catch (IOException e) {
        last = e.toString();
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
    throw new IllegalStateException(
        "knetty local: no " + what + " within " + timeout + " (last: " + last + ")");
  }

  /** Waits until none of {@code names} has a desired or ready pod. */
  public void awaitZero(List<String> names, Duration timeout) throws InterruptedException {
    awaitPods(
        pods ->
            names.stream()
                .allMatch(
                    n -> {
                      Pods p = pods.get(n);
                      return p != null && p.ready() == 0 && p.desired() <= 0;
                    }),
        timeout,
        "zero pods for " + (names.size() == 1 ? names.get(0) : names.size() + " revisions"));
  }
}
