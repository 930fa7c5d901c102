package dev.knetty.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.knetty.bench.proc.ProcessSampler;
import dev.knetty.bench.proc.ProcessUsage;
import dev.knetty.bench.sampleapp.SampleApp;
import dev.knetty.bench.sampleapp.SampleAppCommand;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChildProcessesTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /** The sample app as a child: accounted from /proc, then stopped by SIGTERM, gracefully. */
  @Test
  void runsAccountsAndStopsASampleAppChild(@TempDir Path dir) throws Exception {
    try (ChildProcesses processes = new ChildProcesses(dir)) {
      ChildProcess app =
          processes.startJava(
              "sample-app",
              SampleApp.class.getName(),
              List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
              List.of("--port=0", "--host=127.0.0.1"));
      String ready = app.awaitLine(l -> l.startsWith(SampleAppCommand.READY_PREFIX), TIMEOUT);
      URI base = URI.create(ready.substring(SampleAppCommand.READY_PREFIX.length()).trim());
      ProcessUsage usage;
      try (ProcessSampler sampler = ProcessSampler.start(app.pid(), Duration.ofMillis(20))) {
        HttpClient client = HttpClient.newHttpClient();
        for (int i = 0; i < 20; i++) {
          HttpResponse<String> response =
              client.send(
                  HttpRequest.newBuilder(base.resolve("/?prime=100000")).timeout(TIMEOUT).build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(response.statusCode()).isEqualTo(200);
        }
        usage = sampler.stop();
      }
      assertThat(usage.pid()).isEqualTo(app.pid());
      assertThat(usage.totalCpuSeconds()).isPositive();
      assertThat(usage.peakRssBytes()).isPositive();

      // 143 = 128 + SIGTERM: the JVM ran its shutdown hooks, which closed the app.
      assertThat(app.stop(TIMEOUT)).isEqualTo(143);
      assertThat(app.isAlive()).isFalse();
      assertThat(Files.readString(app.log())).contains("sample app stopped");
    }
  }

  @Test
  void stopKillsWhatIgnoresSigterm(@TempDir Path dir) throws Exception {
    try (ChildProcesses processes = new ChildProcesses(dir)) {
      ChildProcess stubborn =
          processes.start(
              "stubborn",
              List.of("sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"));
      stubborn.awaitLine("ready"::equals, TIMEOUT);
      assertThat(stubborn.stop(Duration.ofMillis(200))).isEqualTo(137); // 128 + SIGKILL
      assertThat(stubborn.isAlive()).isFalse();
    }
  }

  @Test
  void closeStopsEveryChild(@TempDir Path dir) throws Exception {
    ChildProcess a;
    ChildProcess b;
    try (ChildProcesses processes = new ChildProcesses(dir)) {
      a = processes.start("a", List.of("sleep", "600"));
      b = processes.start("b", List.of("sleep", "600"));
      assertThat(processes.children()).containsExactly(a, b);
    }
    await().atMost(TIMEOUT).until(() -> !a.isAlive() && !b.isAlive());
  }

  @Test
  void awaitLineFailsWithTheOutputWhenTheProcessEndsFirst(@TempDir Path dir) throws Exception {
    try (ChildProcesses processes = new ChildProcesses(dir)) {
      ChildProcess quitter =
          processes.start("quitter", List.of("sh", "-c", "echo something went wrong; exit 3"));
      assertThatThrownBy(() -> quitter.awaitLine("never"::equals, TIMEOUT))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("quitter")
          .hasMessageContaining("something went wrong");
      assertThat(Files.readString(dir.resolve("quitter.log"))).isEqualTo("something went wrong\n");
    }
  }
}
