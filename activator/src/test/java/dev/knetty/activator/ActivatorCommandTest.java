package dev.knetty.activator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.activator.kubernetes.MockApiServer;
import dev.knetty.common.kubernetes.KnettyKeys;
import dev.knetty.common.net.Transport;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ActivatorCommandTest {

  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private CommandLine commandLine(ActivatorCommand command) {
    return new CommandLine(command)
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true));
  }

  private Path endpoints() throws IOException {
    return Files.writeString(
        dir.resolve("endpoints.yaml"),
        "revisions:\n  - namespace: default\n    name: hello\n    containerConcurrency: 1\n");
  }

  private String fails(String... args) {
    err.getBuffer().setLength(0);
    int exit = commandLine(new ActivatorCommand()).execute(args);
    assertThat(exit).as(String.join(" ", args)).isEqualTo(ActivatorCommand.BAD_OPTION);
    String message = err.toString();
    assertThat(message.lines().count()).as(message).isEqualTo(1);
    return message.strip();
  }

  @Test
  void badOptionsExitWithOneLineNamingTheOptionAndValue() throws IOException {
    String file = "--endpoints=" + endpoints();
    assertThat(fails(file, "--max-waiting=0"))
        .isEqualTo("--max-waiting: 0 (expected: 1-2147483647)");
    assertThat(fails(file, "--port=http")).isEqualTo("--port: http (expected: an integer)");
    assertThat(fails(file, "--max-connects-per-pod=0"))
        .isEqualTo("--max-connects-per-pod: 0 (expected: 1-2147483647)");
    assertThat(fails(file, "--connect-timeout=0s"))
        .isEqualTo("--connect-timeout: PT0S (expected: > 0)");
    assertThat(fails(file, "--probe-interval=soon"))
        .isEqualTo("--probe-interval: soon (expected: a duration such as 300ms, 45s or 5m)");
    assertThat(fails(file, "--autoscaler=autoscaler"))
        .isEqualTo("--autoscaler: autoscaler (expected: HOST:PORT)");
    assertThat(fails(file, "--retry-after=1500ms"))
        .isEqualTo("--retry-after: PT1.5S (expected: whole seconds)");
    assertThat(fails(file, "--endpoints-poll-interval=0s"))
        .isEqualTo("--endpoints-poll-interval: PT0S (expected: at least 1ms)");
    assertThat(fails()).startsWith("--endpoints: missing");
  }

  @Test
  void aBadEndpointsFileIsRefusedAtStart() throws IOException {
    Path bad = Files.writeString(dir.resolve("bad.yaml"), "revisions:\n  - namespace: default\n");
    assertThat(fails("--endpoints=" + bad))
        .isEqualTo("--endpoints: " + bad + " line 2: a revision needs a namespace and a name");
    assertThat(fails("--endpoints=" + dir.resolve("none.yaml")))
        .isEqualTo("--endpoints: " + dir.resolve("none.yaml") + ": no such file");
  }

  @Test
  void runsUntilStoppedAndAnswersProbes() throws Exception {
    ActivatorCommand command = new ActivatorCommand();
    command.onSignals = false;
    CommandLine cl = commandLine(command);
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () ->
                cl.execute(
                    "--endpoints=" + endpoints(dir),
                    "--host=127.0.0.1",
                    "--port=0",
                    "--metrics-port=-1",
                    "--event-loop-threads=1"));
    // The start line may be half written when first seen: wait for all of it.
    Pattern started =
        Pattern.compile("knetty activator: port (\\d+), metrics port -1, autoscaler none\n");
    await().atMost(Duration.ofSeconds(60)).until(() -> started.matcher(out.toString()).find());
    Matcher m = started.matcher(out.toString());
    assertThat(m.find()).isTrue();
    int port = Integer.parseInt(m.group(1));

    try (Socket s = new Socket("127.0.0.1", port)) {
      s.getOutputStream()
          .write("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: kube-probe/1.30\r\n\r\n".getBytes());
      s.setSoTimeout(60_000);
      assertThat(ActivatorTestSupport.readResponse(s.getInputStream()).status()).isEqualTo(200);
    }

    command.stop.complete(null);
    assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void kubernetesModeNeedsThePodIpAndNoEndpointsFile() throws IOException {
    assertThat(fails("--kubernetes", "--endpoints=" + endpoints()))
        .startsWith("--endpoints: " + endpoints() + " (expected: none with --kubernetes");
    assertThat(fails("--kubernetes", "--pod-ip="))
        .startsWith("--pod-ip:  (expected: this activator's pod IP");

    ActivatorCommand command = new ActivatorCommand();
    command.environment = Map.of("KNETTY_CACHE_SYNC_TIMEOUT_SECONDS", "soon");
    err.getBuffer().setLength(0);
    assertThat(commandLine(command).execute("--kubernetes", "--pod-ip=10.1.0.2"))
        .isEqualTo(ActivatorCommand.BAD_OPTION);
    assertThat(err.toString().strip())
        .isEqualTo("KNETTY_CACHE_SYNC_TIMEOUT_SECONDS: soon (expected: an integer)");
  }

  @Test
  void kubernetesModeServesOnceTheCachesAreSynced() throws Exception {
    try (MockApiServer api = new MockApiServer()) {
      api.apply(MockApiServer.deployment("cmd", "hello", "hello-1"));
      ActivatorCommand command = new ActivatorCommand();
      command.onSignals = false;
      command.environment = Map.of("KNETTY_WATCH_NAMESPACE", "cmd");
      command.kubernetesClient = api::newClient;
      CommandLine cl = commandLine(command);
      CompletableFuture<Integer> exit =
          CompletableFuture.supplyAsync(
              () ->
                  cl.execute(
                      "--kubernetes",
                      "--pod-ip=10.1.0.2",
                      "--host=127.0.0.1",
                      "--port=0",
                      "--metrics-port=-1",
                      "--event-loop-threads=1"));
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> out.toString().endsWith(System.lineSeparator())); // the whole line
      Matcher m = Pattern.compile("knetty activator: port (\\d+)").matcher(out.toString());
      assertThat(m.find()).as(out.toString()).isTrue();
      int port = Integer.parseInt(m.group(1));

      // Synced (else 500 "endpoints not synced yet"), and the revision is known (else 404).
      assertThat(get(port, "User-Agent: kube-probe/1.30").status()).isEqualTo(200);
      ActivatorTestSupport.Raw unknown =
          get(port, "Knetty-Revision: nope\r\nKnetty-Namespace: cmd");
      assertThat(unknown.status()).isEqualTo(404);
      EventLoopGroup group = Transport.fromEnvironment().newEventLoopGroup(1, "pod");
      try (FakePod pod = new FakePod(group)) {
        api.apply(
            MockApiServer.slice(
                "cmd",
                "hello-1-private-a",
                "hello-1",
                KnettyKeys.SERVICE_TYPE_PRIVATE,
                "http",
                pod.port(),
                List.of(MockApiServer.ready("127.0.0.1"))));
        ActivatorTestSupport.Raw served =
            get(port, "Knetty-Revision: hello-1\r\nKnetty-Namespace: cmd");
        assertThat(served.status()).isEqualTo(200);
        assertThat(served.body()).startsWith("pod " + pod.port());
      } finally {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
      }

      command.stop.complete(null);
      assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
    }
  }

  @Test
  void kubernetesCachesThatDoNotFillFailTheStart() throws IOException {
    ActivatorCommand command = new ActivatorCommand();
    command.onSignals = false;
    command.environment = Map.of("KNETTY_CACHE_SYNC_TIMEOUT_SECONDS", "1");
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    command.kubernetesClient =
        () ->
            new KubernetesClientBuilder()
                .withConfig(
                    new ConfigBuilder(Config.empty())
                        .withMasterUrl("http://127.0.0.1:" + closedPort)
                        .withRequestRetryBackoffLimit(0)
                        .build())
                .build();

    int exit =
        commandLine(command)
            .execute(
                "--kubernetes",
                "--pod-ip=10.1.0.2",
                "--host=127.0.0.1",
                "--port=0",
                "--metrics-port=-1",
                "--event-loop-threads=1");

    assertThat(exit).isEqualTo(ActivatorCommand.START_FAILED);
    assertThat(err.toString()).contains("informer: not synced within 1 s");
  }

  /** One HTTP/1.1 GET of {@code /} with extra header lines. */
  private static ActivatorTestSupport.Raw get(int port, String headers) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.getOutputStream()
          .write(("GET / HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n\r\n").getBytes());
      s.setSoTimeout(60_000);
      return ActivatorTestSupport.readResponse(s.getInputStream());
    }
  }

  private static Path endpoints(Path dir) {
    try {
      return Files.writeString(
          dir.resolve("run.yaml"), "revisions:\n  - namespace: default\n    name: hello\n");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
