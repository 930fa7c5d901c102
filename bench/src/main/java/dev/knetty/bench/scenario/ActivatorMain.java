package dev.knetty.bench.scenario;

import dev.knetty.activator.ActivatorCommand;
import picocli.CommandLine;

/**
 * The main class of an activator child process: {@code knetty activator} without the launcher's
 * command tree (which lives in the dist module, above this one). Same command, options and output.
 */
public final class ActivatorMain {

  private ActivatorMain() {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new ActivatorCommand()).execute(args));
  }
}
