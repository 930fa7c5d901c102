package dev.knetty.autoscaler.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.knetty.autoscaler.kubernetes.MockCluster;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AutoscalerCommandTest {

  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private CommandLine commandLine(AutoscalerCommand command) {
    command.onSignals = false;
    CommandLine cmd = new CommandLine(command);
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd;
  }

  private Path revisions() throws IOException {
    return Files.writeString(
        dir.resolve("revisions.yaml"),
        "revisions:\n  - namespace: default\n    name: hello-00001\n    containerConcurrency: 1\n");
  }

  /** Runs the command with {@code args} plus a valid revisions file; expects it to fail. */
  private void assertRefused(String expectedLine, String... args) throws IOException {
    List<String> all = new ArrayList<>(List.of(args));
    if (all.stream().noneMatch(a -> a.startsWith("--revisions="))) {
      all.add("--revisions=" + revisions());
    }
    err.getBuffer().setLength(0);
    int exit = commandLine(new AutoscalerCommand()).execute(all.toArray(new String[0]));
    assertThat(exit).isEqualTo(AutoscalerCommand.BAD_OPTION);
    assertThat(err.toString()).isEqualTo(expectedLine + System.lineSeparator());
  }

  @Test
  void badOptionsExitWithOneLineNamingThem() throws IOException {
    assertRefused("--kmp-port: 70000 (expected: 0-65535)", "--kmp-port=70000");
    assertRefused("--admin-port: http (expected: an integer)", "--admin-port=http");
    assertRefused(
        "--metrics-port: 9095 (expected: a port other than kmpPort)", "--metrics-port=9095");
    assertRefused("--event-loop-threads: 0 (expected: >= 1)", "--event-loop-threads=0");
    assertRefused(
        "--ready-pod-window: 3 (expected: a duration such as 500ms or 3s)", "--ready-pod-window=3");
    assertRefused(
        "--revisions-poll-interval: 0s (expected: at least 1ms)", "--revisions-poll-interval=0s");

    Path config = Files.writeString(dir.resolve("config-autoscaler.yaml"), "stable-window: 5s\n");
    assertRefused(
        "--config: " + config + ": stable-window: 5s (expected: between 6s and 1h, whole seconds)",
        "--config=" + config);

    Path bad = Files.writeString(dir.resolve("bad.yaml"), "revisions:\n  - name: x\n");
    assertRefused(
        "--revisions: " + bad + " line 2: a revision without namespace", "--revisions=" + bad);
  }

  @Test
  void theRevisionsFileIsRequired() {
    AutoscalerCommand command = new AutoscalerCommand();
    new CommandLine(command).parseArgs("--kmp-port=0");
    command.revisions = null; // whatever KNETTY_REVISIONS_FILE says here
    assertThatThrownBy(command::serverConfig)
        .isInstanceOf(AutoscalerCommand.BadOption.class)
        .hasMessage(
            "--revisions: missing (expected: a revisions file, or KNETTY_REVISIONS_FILE, or"
                + " --kubernetes)");
  }

  @Test
  void aTakenPortExitsWithOneLine() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int exit =
          commandLine(new AutoscalerCommand())
              .execute(
                  "--host=127.0.0.1",
                  "--kmp-port=0",
                  "--metrics-port=0",
                  "--admin-port=" + taken.getLocalPort(),
                  "--revisions=" + revisions());
      assertThat(exit).isEqualTo(AutoscalerCommand.START_FAILED);
      assertThat(err.toString()).contains(":" + taken.getLocalPort()).hasLineCount(1);
    }
  }

  @Test
  void runsUntilStoppedAndServesTheRevisions() throws Exception {
    AutoscalerCommand command = new AutoscalerCommand();
    CommandLine cmd = commandLine(command);
    Path revisions = revisions();
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () ->
                cmd.execute(
                    "--host=127.0.0.1",
                    "--kmp-port=0",
                    "--admin-port=0",
                    "--metrics-port=0",
                    "--event-loop-threads=1",
                    "--revisions=" + revisions));
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> out.toString().startsWith(AutoscalerCommand.READY_PREFIX) || exit.isDone());
      Matcher m = Pattern.compile("admin on port (\\d+)").matcher(out.toString());
      assertThat(m.find()).as(out + " " + err).isTrue();
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + m.group(1) + "/revisions"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.body()).contains("\"revision\" : \"default/hello-00001\"");
    } finally {
      command.stop.complete(null);
    }
    assertThat(exit.get()).isZero();
  }

  @Test
  void kubernetesModeNamesAMissingVariable() {
    AutoscalerCommand command = new AutoscalerCommand();
    command.environment = Map.of("KNETTY_POD_NAMESPACE", "knetty-system");

    int exit = commandLine(command).execute("--kubernetes", "--kmp-port=0");

    assertThat(exit).isEqualTo(AutoscalerCommand.BAD_OPTION);
    assertThat(err.toString())
        .isEqualTo(
            "KNETTY_POD_NAME: null (expected: a value; it is required)" + System.lineSeparator());
  }

  @Test
  void kubernetesModeRunsTheWholeAutoscalerAndFollowsTheConfigDirectory() throws Exception {
    String ns = "command";
    try (MockCluster cluster = new MockCluster();
        KubernetesClient admin = cluster.client("admin")) {
      admin
          .secrets()
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withNamespace(ns)
                  .withName("knetty-webhook-certs")
                  .endMetadata()
                  .build())
          .create();
      admin.apps().deployments().resource(revisionDeployment(ns, "5")).create();
      Path config = Files.createDirectory(dir.resolve("config-autoscaler"));
      Files.writeString(config.resolve("max-scale-limit"), "10");
      Files.writeString(config.resolve("max-scale"), "10");

      AutoscalerCommand command = new AutoscalerCommand();
      AtomicInteger fatal = new AtomicInteger();
      command.environment =
          Map.ofEntries(
              Map.entry("KNETTY_POD_NAMESPACE", ns),
              Map.entry("KNETTY_POD_NAME", "autoscaler-0"),
              Map.entry("KNETTY_POD_IP", "127.0.0.1"),
              Map.entry("KNETTY_WATCH_NAMESPACE", ns),
              Map.entry("KNETTY_WEBHOOK_BIND_ADDRESS", "127.0.0.1"),
              Map.entry("KNETTY_WEBHOOK_PORT", "0"),
              Map.entry("KNETTY_WEBHOOK_SERVICE_NAME", "knetty-webhook"),
              Map.entry("KNETTY_WEBHOOK_SERVICE_NAMESPACE", ns),
              Map.entry("KNETTY_QUEUE_PROXY_IMAGE", "queue-proxy:1"),
              Map.entry(
                  "KNETTY_QUEUE_PROXY_AUTOSCALER_ADDRESS", "knetty-autoscaler.command.svc:9095"));
      command.kubernetesClient = () -> cluster.client("autoscaler-0");
      command.onFatal = fatal::incrementAndGet;
      CommandLine cmd = commandLine(command);
      CompletableFuture<Integer> exit =
          CompletableFuture.supplyAsync(
              () ->
                  cmd.execute(
                      "--kubernetes",
                      "--host=127.0.0.1",
                      "--kmp-port=0",
                      "--admin-port=0",
                      "--metrics-port=0",
                      "--event-loop-threads=1",
                      "--config=" + config,
                      "--config-poll-interval=50ms"));
      try {
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () -> out.toString().startsWith(AutoscalerCommand.READY_PREFIX) || exit.isDone());
        assertThat(out.toString())
            .as(err.toString())
            .contains("kubernetes: webhook on port")
            .contains("revisions in namespace command, lease command/knetty-autoscaler-leader");
        Matcher m = Pattern.compile("admin on port (\\d+)").matcher(out.toString());
        assertThat(m.find()).isTrue();
        HttpResponse<String> ready =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.group(1) + "/readyz"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).isEqualTo(200);
        // The leader owns the revision's Services.
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> admin.services().inNamespace(ns).withName("web-1-private").get() != null);

        // A smaller limit in the mounted ConfigMap makes max-scale 5 invalid: an Event says so.
        Files.writeString(config.resolve("max-scale"), "3");
        Files.writeString(config.resolve("max-scale-limit"), "3");
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    admin.v1().events().inNamespace(ns).list().getItems().stream()
                        .anyMatch(e -> "InvalidAnnotation".equals(e.getReason())));
      } finally {
        command.stop.complete(null);
      }
      assertThat(exit.get()).isZero();
      assertThat(fatal.get()).isZero();
      assertThat(
              admin
                  .leases()
                  .inNamespace(ns)
                  .withName("knetty-autoscaler-leader")
                  .get()
                  .getSpec()
                  .getHolderIdentity())
          .isNull(); // given up on the way out
    }
  }

  private static Deployment revisionDeployment(String namespace, String maxScale) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName("web")
        .addToLabels("knetty.dev/revision", "web-1")
        .endMetadata()
        .withNewSpec()
        .withReplicas(1)
        .withNewTemplate()
        .withNewMetadata()
        .addToLabels("knetty.dev/revision", "web-1")
        .addToAnnotations("autoscaling.knative.dev/max-scale", maxScale)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage("app:1")
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }
}
