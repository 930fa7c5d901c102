package dev.knetty.dist.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.dist.Knetty;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code knetty local -f FILE} as its own process: once a pod runs, stopping it (SIGTERM, as Ctrl-C
 * or a service manager does) stops every child through the shutdown hook; killing it (SIGKILL, no
 * hook) still stops them, as each queue-proxy sees its standard input close and stops its app.
 */
class LocalProcessTest {

  private static final Duration START = Duration.ofSeconds(90);

  @TempDir Path dir;

  private Process local;
  private final StringBuffer output = new StringBuffer();

  @AfterEach
  void kill() {
    if (local != null) {
      local.descendants().forEach(ProcessHandle::destroyForcibly);
      local.destroyForcibly();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"SIGTERM", "SIGKILL"})
  void everyChildIsGoneWhenLocalModeStops(String signal) throws Exception {
    JavaRuntime java = JavaRuntime.current();
    String command =
        Demo.sampleAppCommand(java).stream()
            .map(s -> "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
            .collect(Collectors.joining(", ", "[", "]"));
    Path file = dir.resolve("local.yaml");
    Files.writeString(
        file,
        "revisions:\n  - name: hello\n    command: " + command + "\n",
        StandardCharsets.UTF_8);
    local =
        new ProcessBuilder(
                java.command(
                    Demo.APP_JVM_OPTIONS,
                    Knetty.class.getName(),
                    List.of(
                        "local",
                        "-f",
                        file.toString(),
                        "--port",
                        "0",
                        "--admin-port",
                        "0",
                        "--metrics-port",
                        "-1",
                        "--plain",
                        "--log-dir",
                        dir.resolve("logs").toString())))
            .redirectErrorStream(true)
            .start();
    Thread reader = new Thread(this::read, "local-output");
    reader.setDaemon(true);
    reader.start();

    await("a ready pod")
        .atMost(START)
        .until(() -> output.toString().contains("hello: pods 1/1 ready"));
    List<ProcessHandle> children = local.descendants().toList();
    assertThat(children).hasSizeGreaterThanOrEqualTo(2); // an app and its queue-proxy

    // Through the handle: Process.destroy would also close our end of its output.
    if (signal.equals("SIGTERM")) {
      local.toHandle().destroy();
    } else {
      local.toHandle().destroyForcibly();
    }
    await("knetty local exits").atMost(START).until(() -> !local.isAlive());
    await("every child gone")
        .atMost(START)
        .untilAsserted(() -> assertThat(children).noneMatch(ProcessHandle::isAlive));
    if (signal.equals("SIGTERM")) {
      await()
          .atMost(START)
          .untilAsserted(() -> assertThat(output.toString()).contains("knetty local: stopped"));
    }
  }

  private void read() {
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(local.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        output.append(line).append('\n');
      }
    } catch (IOException e) {
      // The process was destroyed: its output ends here.
    }
  }
}
