package dev.knetty.dist;

import dev.knetty.activator.ActivatorCommand;
import dev.knetty.autoscaler.server.AutoscalerCommand;
import dev.knetty.autoscaler.simulate.SimulateCommand;
import dev.knetty.bench.BenchCommand;
import dev.knetty.bench.sampleapp.SampleAppCommand;
import dev.knetty.dist.local.LocalCommand;
import dev.knetty.queueproxy.QueueProxyCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one entry point of the knetty jar: every component is a subcommand. */
@Command(
    name = "knetty",
    mixinStandardHelpOptions = true,
    versionProvider = Knetty.Version.class,
    description = "Knetty: a serverless data plane for Kubernetes on Netty.",
    subcommands = {
      QueueProxyCommand.class,
      ActivatorCommand.class,
      AutoscalerCommand.class,
      LocalCommand.class,
      SimulateCommand.class,
      SampleAppCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Knetty implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command tree, shared by {@link #main} and tests. */
  public static CommandLine commandLine() {
    return new CommandLine(new Knetty());
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Knetty.class.getPackage().getImplementationVersion();
      return new String[] {"knetty " + (version == null ? "(development build)" : version)};
    }
  }
}
