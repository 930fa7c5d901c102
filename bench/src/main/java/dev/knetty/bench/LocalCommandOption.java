package dev.knetty.bench;

import dev.knetty.bench.scenario.local.LocalMode;
import java.util.List;
import picocli.CommandLine.Option;

/** The {@code --local-command} option of the scenarios that run {@code knetty local}. */
final class LocalCommandOption {

  @Option(
      names = "--local-command",
      description =
          "The command that runs `knetty local`, space separated, e.g. 'bin/knetty local'"
              + " (default: this JVM's class path with the launcher, when it is on it).")
  String localCommand;

  List<String> command() {
    return ScenarioOptions.jvmArgs(localCommand, LocalMode.defaultCommand());
  }
}
