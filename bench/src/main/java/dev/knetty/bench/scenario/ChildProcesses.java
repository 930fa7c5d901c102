package dev.knetty.bench.scenario;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Starts the processes of a scenario and makes sure they end: {@link #close()} stops them (SIGTERM,
 * then SIGKILL after a grace period), and a JVM shutdown hook kills any still running if the
 * benchmark itself is interrupted.
 */
public final class ChildProcesses implements AutoCloseable {

  /** How long a child gets to stop after SIGTERM before it is killed. */
  public static final Duration STOP_GRACE = Duration.ofSeconds(15);

  private final Path logDir;
  private final List<ChildProcess> children = new CopyOnWriteArrayList<>();
  private final Thread shutdownHook = new Thread(this::killAll, "child-processes-shutdown");
  private boolean closed;

  /**
   * @param logDir where each child's output goes, as {@code <name>.log}
   */
  public ChildProcesses(Path logDir) {
    this.logDir = logDir;
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts a JVM running {@code mainClass} on this JVM's classpath, with this JVM's {@code java}.
   *
   * @param name for logs and the log file name
   */
  public ChildProcess startJava(
      String name, String mainClass, List<String> jvmArgs, List<String> args) throws IOException {
    return startJava(name, mainClass, jvmArgs, args, Map.of());
  }

  /**
   * Starts a JVM running {@code mainClass} on this JVM's classpath, with this JVM's {@code java}
   * and {@code env} added to this process's environment.
   *
   * @param name for logs and the log file name
   */
  public ChildProcess startJava(
      String name,
      String mainClass,
      List<String> jvmArgs,
      List<String> args,
      Map<String, String> env)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(args);
    return start(name, command, env);
  }

  /** Starts {@code command}; its output goes to {@code <logDir>/<name>.log}. */
  public ChildProcess start(String name, List<String> command) throws IOException {
    return start(name, command, Map.of());
  }

  /**
   * Starts {@code command} with {@code env} added to this process's environment; its output goes to
   * {@code <logDir>/<name>.log}.
   */
  public synchronized ChildProcess start(String name, List<String> command, Map<String, String> env)
      throws IOException {
    if (closed) {
      throw new IllegalStateException("child processes: closed");
    }
    Files.createDirectories(logDir);
    Path log =
        logDir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "_").toLowerCase(Locale.ROOT) + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    Process process = builder.start();
    ChildProcess child = new ChildProcess(name, process, log);
    children.add(child);
    return child;
  }

  /** Where each child's output goes. */
  public Path logDir() {
    return logDir;
  }

  /** The children started so far. */
  public List<ChildProcess> children() {
    return List.copyOf(children);
  }

  /** Stops every child that still runs. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    for (ChildProcess child : children) {
      if (child.isAlive()) {
        child.stop(STOP_GRACE);
      }
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down: the hook runs anyway.
    }
  }

  private void killAll() {
    for (ChildProcess child : children) {
      if (child.isAlive()) {
        child.stop(Duration.ofSeconds(2));
      }
    }
  }
}
