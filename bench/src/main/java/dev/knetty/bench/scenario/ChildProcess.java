package dev.knetty.bench.scenario;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process a scenario started. Its output (stdout and stderr together) goes to a log file and can
 * be waited on line by line, e.g. for a "listening on" line.
 */
public final class ChildProcess {

  private static final Logger LOG = LoggerFactory.getLogger(ChildProcess.class);

  /** Output lines kept in memory for {@link #awaitLine} and error messages. */
  private static final int HISTORY = 1000;

  private final String name;
  private final Process process;
  private final Path log;
  private final ArrayDeque<String> history = new ArrayDeque<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private final Thread pump;
  private boolean ended;

  private record Waiter(Predicate<String> match, CompletableFuture<String> line) {}

  ChildProcess(String name, Process process, Path log) throws IOException {
    this.name = name;
    this.process = process;
    this.log = log;
    BufferedWriter out = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
    pump = new Thread(() -> pump(out), "child-output-" + name);
    pump.setDaemon(true);
    pump.start();
  }

  private void pump(BufferedWriter out) {
    try (BufferedReader in =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        out) {
      String line;
      while ((line = in.readLine()) != null) {
        out.write(line);
        out.newLine();
        out.flush();
        offer(line);
      }
    } catch (IOException e) {
      LOG.debug("{}: output closed", name, e);
    } finally {
      end();
    }
  }

  private synchronized void offer(String line) {
    if (history.size() == HISTORY) {
      history.removeFirst();
    }
    history.addLast(line);
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.match().test(line)) {
        w.line().complete(line);
        it.remove();
      }
    }
  }

  private synchronized void end() {
    ended = true;
    for (Waiter w : waiters) {
      w.line().completeExceptionally(new IllegalStateException(exitedMessage()));
    }
    waiters.clear();
  }

  private synchronized String exitedMessage() {
    List<String> tail = new ArrayList<>(history);
    return name
        + " (pid "
        + pid()
        + ") ended its output"
        + (process.isAlive() ? "" : " and exited")
        + "; last lines:\n  "
        + String.join("\n  ", tail.subList(Math.max(0, tail.size() - 20), tail.size()));
  }

  /**
   * Waits for the first output line matching {@code match} (lines printed before the call count).
   *
   * @throws IllegalStateException if the process ends its output first, or on timeout
   */
  public String awaitLine(Predicate<String> match, Duration timeout) throws InterruptedException {
    CompletableFuture<String> line = new CompletableFuture<>();
    synchronized (this) {
      for (String earlier : history) {
        if (match.test(earlier)) {
          return earlier;
        }
      }
      if (ended) {
        throw new IllegalStateException(exitedMessage());
      }
      waiters.add(new Waiter(match, line));
    }
    try {
      return line.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          name + ": no matching output line within " + timeout + "; see " + log, e);
    }
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Where its output goes. */
  public Path log() {
    return log;
  }

  /**
   * Asks the process (and its descendants) to stop with SIGTERM, waits up to {@code grace}, then
   * kills it. Its output up to the end is in the log.
   *
   * @return the exit code
   */
  public int stop(Duration grace) {
    // Signals through ProcessHandle: Process.destroy() would also close the output pipe and lose
    // what the process prints while it shuts down.
    ProcessHandle handle = process.toHandle();
    List<ProcessHandle> descendants = handle.descendants().toList();
    handle.destroy();
    descendants.forEach(ProcessHandle::destroy);
    boolean interrupted = false;
    try {
      if (!process.waitFor(grace.toNanos(), TimeUnit.NANOSECONDS)) {
        LOG.warn("{} (pid {}) ignored SIGTERM for {}: killing it", name, pid(), grace);
      }
    } catch (InterruptedException e) {
      interrupted = true;
    }
    handle.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
    try {
      int exit = process.waitFor();
      pump.join(TimeUnit.SECONDS.toMillis(5));
      return exit;
    } catch (InterruptedException e) {
      interrupted = true;
      return -1;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
