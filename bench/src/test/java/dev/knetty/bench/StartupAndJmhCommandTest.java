package dev.knetty.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code bench startup} (with the hello-world baseline) and {@code bench jmh}. */
class StartupAndJmhCommandTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int bench(String... args) {
    return new CommandLine(new BenchCommand())
        .setOut(new PrintWriter(out))
        .setErr(new PrintWriter(err))
        .execute(args);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void startupMeasuresExecToFirst200AndIdleRss(@TempDir Path dir) throws Exception {
    int port = freePort();
    Path json = dir.resolve("startup.json");

    int exit =
        bench(
            "startup",
            "--runs=2",
            "--settle=0s",
            "--url=http://127.0.0.1:" + port + "/",
            "--name=hello",
            "--json=" + json,
            "--",
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            HelloWorldServer.class.getName(),
            Integer.toString(port));

    assertThat(exit).as("stderr: %s", err).isZero();
    assertThat(out.toString())
        .contains("hello: 2 runs")
        .contains("exec -> ready  median")
        .contains("idle RSS       median");
    JsonNode result = new ObjectMapper().readTree(json.toFile());
    assertThat(result.get("runs")).hasSize(2);
    assertThat(result.get("medianReadyMillis").asDouble()).isPositive();
    assertThat(result.get("medianIdleRssMiB").asDouble()).isPositive();
  }

  @Test
  void startupFailsClearlyWhenTheCommandExits() throws Exception {
    int exit =
        bench(
            "startup",
            "--runs=1",
            "--url=http://127.0.0.1:" + freePort() + "/",
            "--",
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-version");

    assertThat(exit).isNotZero();
    assertThat(err.toString()).contains("the command exited with 0 before");
  }

  @Test
  void jmhListsTheQueueProxyBenchmarks() {
    // JMH prints to System.out itself.
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    int exit;
    try {
      exit = bench("jmh", "-l", "dev.knetty.bench.jmh");
    } finally {
      System.setOut(original);
    }

    assertThat(exit).isZero();
    assertThat(captured.toString(StandardCharsets.UTF_8))
        .contains("dev.knetty.bench.jmh.QueueProxyPolicyBenchmark.request")
        .contains("dev.knetty.bench.jmh.BreakerBenchmark.acquireReleaseContended")
        .contains("dev.knetty.bench.jmh.RequestStatsBenchmark.inOutContended");
  }

  @Test
  void jmhRejectsBadOptions() {
    assertThat(bench("jmh", "-f", "notanumber")).isNotZero();
    assertThat(err.toString()).contains("jmh:");
  }
}
