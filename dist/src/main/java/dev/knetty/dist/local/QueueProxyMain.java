package dev.knetty.dist.local;

import dev.knetty.queueproxy.QueueProxyCommand;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * The queue-proxy of a local pod: {@code bin/knetty queue-proxy} (its environment contract, its
 * fast start without picocli), plus a guard for when {@code knetty local} disappears without
 * stopping its pods (SIGKILL, a crash). The parent holds this process's standard input open and
 * never writes to it, so end-of-file on standard input means the parent is gone: the guard then
 * stops the pod's app (its process tree, by the PID in {@value #APP_PID}) and exits, which runs the
 * queue-proxy's SIGTERM sequence.
 */
public final class QueueProxyMain {

  /** The system property with the PID of the app this queue-proxy fronts. */
  static final String APP_PID = "knetty.local.app-pid";

  private static final long APP_STOP_SECONDS = 5;

  private QueueProxyMain() {}

  /** Starts the guard, then runs the queue-proxy from the environment. */
  public static void main(String[] args) {
    Optional<ProcessHandle> app =
        Optional.ofNullable(System.getProperty(APP_PID)).flatMap(QueueProxyMain::process);
    Thread guard = new Thread(() -> guard(System.in, app), "local-parent-guard");
    guard.setDaemon(true);
    guard.start();
    QueueProxyCommand.main(args);
  }

  private static Optional<ProcessHandle> process(String pid) {
    try {
      // Taken now, while the app runs: the handle checks the start time, so a reused PID is safe.
      return ProcessHandle.of(Long.parseLong(pid));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static void guard(InputStream parent, Optional<ProcessHandle> app) {
    try {
      while (parent.read() != -1) {
        // The parent never writes; anything it does is ignored.
      }
    } catch (IOException e) {
      // A broken pipe: the parent is gone as well.
    }
    // Not a static logger: the queue-proxy chooses its slf4j provider in main, after this class
    // was initialised; by now it has.
    LoggerFactory.getLogger(QueueProxyMain.class)
        .warn("knetty local is gone (standard input closed): stopping the app and exiting");
    app.ifPresent(QueueProxyMain::stopTree);
    System.exit(0);
  }

  /** SIGTERM to the app and its descendants, SIGKILL to what is left after a few seconds. */
  static void stopTree(ProcessHandle root) {
    List<ProcessHandle> tree = ProcessTree.of(root);
    ProcessTree.terminate(tree);
    try {
      root.onExit().get(APP_STOP_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Still running, or interrupted: killed below either way.
    }
    ProcessTree.kill(tree);
  }
}
