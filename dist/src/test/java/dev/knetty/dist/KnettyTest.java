package dev.knetty.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class KnettyTest {

  @Test
  void helpListsEverySubcommand() {
    CommandLine cmd = Knetty.commandLine();
    StringWriter out = new StringWriter();
    cmd.setOut(new PrintWriter(out));

    int exit = cmd.execute("--help");

    assertThat(exit).isZero();
    assertThat(out.toString())
        .contains(
            "queue-proxy", "activator", "autoscaler", "local", "simulate", "sample-app", "bench");
    assertThat(cmd.getSubcommands())
        .containsKeys(
            "queue-proxy", "activator", "autoscaler", "local", "simulate", "sample-app", "bench");
  }

  @Test
  void unknownSubcommandIsAUsageError() {
    CommandLine cmd = Knetty.commandLine();
    cmd.setErr(new PrintWriter(new StringWriter()));

    assertThat(cmd.execute("no-such-command")).isEqualTo(2);
  }
}
