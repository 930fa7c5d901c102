package dev.knetty.bench.sampleapp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SampleAppCommandTest {

  @Test
  void optionsBecomeTheConfig() {
    SampleAppCommand command = new SampleAppCommand();
    new CommandLine(command)
        .parseArgs(
            "--port=0",
            "--host=127.0.0.1",
            "--io-threads=2",
            "--work-threads=3",
            "--work-queue=5",
            "--max-sleep=2s",
            "--max-bloat-mb=10",
            "--shutdown-grace=1500ms");
    SampleAppConfig config = command.config();
    assertThat(config.port()).isZero();
    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.ioThreads()).isEqualTo(2);
    assertThat(config.workThreads()).isEqualTo(3);
    assertThat(config.workQueue()).isEqualTo(5);
    assertThat(config.maxSleep()).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.maxBloatMb()).isEqualTo(10);
    assertThat(config.shutdownGrace()).isEqualTo(Duration.ofMillis(1500));
  }

  @Test
  void portDefaultsToThePortVariableOr8080() {
    SampleAppCommand command = new SampleAppCommand();
    new CommandLine(command).parseArgs();
    String env = System.getenv("PORT");
    assertThat(command.config().port()).isEqualTo(env == null ? 8080 : Integer.parseInt(env));
    assertThat(command.config().host()).isEqualTo("0.0.0.0");
  }

  @Test
  void invalidSettingsAreUsageErrors() {
    assertThat(run("--work-queue=0")).contains("workQueue: 0 (expected: > 0)");
    assertThat(run("--max-sleep=soon")).contains("duration: soon");
    assertThat(run("--port=70000")).contains("port: 70000 (expected: 0-65535)");
  }

  @Test
  void aBusyPortIsAClearError() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      StringWriter err = new StringWriter();
      int exit =
          new CommandLine(new SampleAppCommand())
              .setErr(new PrintWriter(err))
              .execute("--host=127.0.0.1", "--port=" + taken.getLocalPort());
      assertThat(exit).isEqualTo(1);
      assertThat(err.toString())
          .startsWith("sample-app: cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
  }

  private static String run(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new SampleAppCommand()).setErr(new PrintWriter(err));
    assertThat(cl.execute(args)).isEqualTo(CommandLine.ExitCode.USAGE);
    return err.toString();
  }
}
