package dev.knetty.queueproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The queue-proxy as its own process: SIGTERM under load, and configuration errors. */
class QueueProxyProcessTest extends QueueProxyTestSupport {

  private static final Pattern READY = Pattern.compile("queue-proxy ready: serving port (\\d+)");

  private final List<Process> processes = new ArrayList<>();
  private final List<Thread> pumps = new ArrayList<>();
  private final ConcurrentLinkedQueue<String> output = new ConcurrentLinkedQueue<>();

  @AfterEach
  void killChildren() {
    for (Process p : processes) {
      p.destroyForcibly();
    }
  }

  private Process launch(Map<String, String> env) throws IOException {
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx64m",
            "-XX:+UseSerialGC",
            "-cp",
            System.getProperty("java.class.path"),
            QueueProxyCommand.class.getName());
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().clear();
    pb.environment().putAll(env);
    Process p = pb.start();
    processes.add(p);
    pump(p.getInputStream());
    pump(p.getErrorStream());
    return p;
  }

  private void pump(java.io.InputStream in) {
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                  output.add(line);
                }
              } catch (IOException e) {
                output.add("(output closed: " + e + ")");
              }
            },
            "child-output");
    t.setDaemon(true);
    t.start();
    pumps.add(t);
  }

  /** All the output of the ended child. */
  private List<String> allOutput() throws InterruptedException {
    for (Thread t : pumps) {
      t.join(TimeUnit.SECONDS.toMillis(30));
    }
    return List.copyOf(output);
  }

  private int servingPort() {
    await().atMost(WAIT).until(() -> output.stream().anyMatch(l -> READY.matcher(l).find()));
    for (String line : output) {
      Matcher m = READY.matcher(line);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
    }
    throw new AssertionError("no ready line in " + output);
  }

  private Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("CONTAINER_CONCURRENCY", "2");
    env.put("REVISION_TIMEOUT_SECONDS", "30");
    env.put("USER_PORT", Integer.toString(app.port()));
    env.put("QUEUE_SERVING_PORT", "0");
    env.put("QUEUE_ADMIN_PORT", "0");
    env.put("QUEUE_STATS_PORT", "0");
    env.put("QUEUE_METRICS_PORT", "0");
    env.put("KNETTY_BIND_HOST", "127.0.0.1");
    env.put(
        "SERVING_READINESS_PROBE",
        "{\"successThreshold\":1,\"tcpSocket\":{\"host\":\"127.0.0.1\",\"port\":"
            + app.port()
            + "}}");
    env.put("SERVING_NAMESPACE", "default");
    env.put("SERVING_REVISION", "hello-00001");
    env.put("SERVING_POD", "hello-00001-deployment-abc");
    // Restarted by every request: 2 s outlasts the load generator's stalls on a busy machine.
    env.put("KNETTY_DRAIN_QUIET_PERIOD", "2s");
    env.put("KNETTY_DRAIN_TIMEOUT", "20s");
    return env;
  }

  @Test
  void sigtermUnderLoadCompletesEveryRequestAndExitsZero() throws Exception {
    startApp();
    Process qpProcess = launch(env());
    int port = servingPort();
    LoadLoop load = new LoadLoop(http, URI.create("http://127.0.0.1:" + port + "/sleep/5"), 3);
    try {
      await().atMost(WAIT).until(() -> load.ok() >= 30);

      // SIGTERM; Process.destroy() would also close the output pipes.
      assertThat(qpProcess.toHandle().destroy()).isTrue();
      load.mark();

      // Still serving: the quiet period restarts with every request.
      await().atMost(WAIT).until(() -> load.okAfterMark() >= 50);
      assertThat(qpProcess.isAlive()).isTrue();
      load.close();

      assertThat(qpProcess.waitFor(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      load.close();
    }
    List<String> lines = allOutput();
    assertThat(qpProcess.exitValue()).as("exit code; output: %s", lines).isZero();
    assertThat(load.failures()).isEmpty();
    assertThat(app.served.get()).isEqualTo(load.ok());
    assertThat(lines).as("output").anyMatch(l -> l.contains("queue-proxy stopped"));
  }

  @Test
  void aBadVariableEndsTheProcessWithOneLine() throws Exception {
    startApp();
    Map<String, String> env = env();
    env.put("CONTAINER_CONCURRENCY", "lots");

    Process p = launch(env);

    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(QueueProxyCommand.EXIT_CONFIG);
    assertThat(allOutput())
        .containsExactly(
            "queue-proxy: CONTAINER_CONCURRENCY: \"lots\" (expected: an integer from 0 (no"
                + " limit) to 214748364)");
  }
}
