package dev.knetty.bench.proc;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples a Linux process's CPU time and resident set from {@code /proc} at a fixed interval, on
 * its own daemon thread, so peaks between the start and the end of a run are seen. Works for any
 * process this user may read, e.g. a child process a scenario started.
 *
 * <p>Optionally the process's descendants count with it (nginx's workers are children of its
 * master; never for a process that started the others, like the benchmark's own JVM): CPU is summed
 * over the tree (a descendant that appears later counts from its start), resident sets are summed
 * per sample ({@code VmHWM} too, so for several processes the peak is the sum of each one's peak,
 * pages they share counted once per process). A JVM has no child processes.
 *
 * <p>CPU times in {@code /proc/<pid>/stat} are in clock ticks; the tick rate comes from {@code
 * getconf CLK_TCK}, or is assumed to be 100 (the value on every mainstream Linux) if that fails.
 */
public final class ProcessSampler implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ProcessSampler.class);

  /** Ticks per second of {@code /proc} CPU times. */
  static final long CLOCK_TICKS = clockTicks();

  private final long pid;
  private final boolean withDescendants;
  private final ScheduledExecutorService timer;

  /** CPU ticks per process of the tree: at its first sample, and at its latest. */
  private final Map<Long, Long> firstCpuTicks = new HashMap<>();

  private final Map<Long, Long> lastCpuTicks = new HashMap<>();
  private long peakRss;
  private long maxRss;
  private int samples;
  private boolean stopped;

  private ProcessSampler(long pid, Duration interval, boolean withDescendants) {
    this.pid = pid;
    this.withDescendants = withDescendants;
    Path stat = statFile(pid);
    try {
      long ticks = cpuTicks(Files.readString(stat));
      firstCpuTicks.put(pid, ticks);
      lastCpuTicks.put(pid, ticks);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "pid " + pid + ": cannot read " + stat + " (expected: a running Linux process)", e);
    }
    // Descendants running now count from now; later ones from their start.
    descendants()
        .forEach(
            d -> {
              Long ticks = ticksOf(d);
              if (ticks != null) {
                firstCpuTicks.put(d, ticks);
              }
            });
    sample();
    timer =
        Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("proc-sampler", true));
    timer.scheduleAtFixedRate(
        this::sample, interval.toNanos(), interval.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Starts sampling {@code pid} (alone) every {@code interval}.
   *
   * @throws UncheckedIOException if the process's {@code /proc} entry cannot be read
   */
  public static ProcessSampler start(long pid, Duration interval) {
    return start(pid, interval, false);
  }

  /**
   * Starts sampling {@code pid} every {@code interval}, with its descendants if {@code
   * withDescendants}.
   *
   * @throws UncheckedIOException if the process's {@code /proc} entry cannot be read
   */
  public static ProcessSampler start(long pid, Duration interval, boolean withDescendants) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval: " + interval + " (expected: > 0)");
    }
    return new ProcessSampler(pid, interval, withDescendants);
  }

  /** Whether this system has a {@code /proc} to sample. */
  public static boolean isSupported() {
    return Files.isReadable(Path.of("/proc/self/stat"));
  }

  private static Path statFile(long pid) {
    return Path.of("/proc", Long.toString(pid), "stat");
  }

  /** The CPU ticks of {@code pid}, or null if it has gone. */
  private static Long ticksOf(long pid) {
    try {
      return cpuTicks(Files.readString(statFile(pid)));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The descendants' pids now; none unless {@code withDescendants}. */
  private List<Long> descendants() {
    List<Long> pids = new ArrayList<>();
    if (withDescendants) {
      ProcessHandle.of(pid).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
    }
    return pids;
  }

  private synchronized void sample() {
    if (stopped) {
      return;
    }
    try {
      lastCpuTicks.put(pid, cpuTicks(Files.readString(statFile(pid))));
      List<String> lines = Files.readAllLines(statusFile(pid), StandardCharsets.UTF_8);
      long hwm = kilobytes(lines, "VmHWM:") * 1024;
      long rss = kilobytes(lines, "VmRSS:") * 1024;
      for (long member : descendants()) {
        Long ticks = ticksOf(member);
        List<String> status = statusOf(member);
        if (ticks == null || status == null) {
          continue; // it exited between the listing and now
        }
        firstCpuTicks.putIfAbsent(member, 0L);
        lastCpuTicks.put(member, ticks);
        hwm += kilobytes(status, "VmHWM:") * 1024;
        rss += kilobytes(status, "VmRSS:") * 1024;
      }
      peakRss = Math.max(peakRss, hwm);
      maxRss = Math.max(maxRss, rss);
      samples++;
    } catch (IOException | RuntimeException e) {
      // The process has exited (or its entry is unreadable): keep what we have.
      LOG.debug("pid {}: sampling stopped", pid, e);
      stopped = true;
    }
  }

  /**
   * The resident set of {@code pid} now ({@code VmRSS}), in bytes.
   *
   * @throws UncheckedIOException if its {@code /proc} entry cannot be read
   */
  public static long rssBytes(long pid) {
    List<String> status = statusOf(pid);
    if (status == null) {
      throw new UncheckedIOException(
          new IOException("pid " + pid + ": cannot read " + statusFile(pid)));
    }
    return kilobytes(status, "VmRSS:") * 1024;
  }

  private static List<String> statusOf(long pid) {
    try {
      return Files.readAllLines(statusFile(pid), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static Path statusFile(long pid) {
    return Path.of("/proc", Long.toString(pid), "status");
  }

  /**
   * Takes a sample now and counts CPU time from here on: {@link ProcessUsage#cpuSeconds()} then
   * covers only what follows (e.g. the measured part of a run, after its warm-up).
   */
  public synchronized void rebase() {
    sample();
    firstCpuTicks.putAll(lastCpuTicks);
  }

  /** Takes a sample now and returns the usage so far. */
  public synchronized ProcessUsage snapshot() {
    sample();
    return usage();
  }

  /** Takes a last sample, stops sampling and returns the usage. */
  public ProcessUsage stop() {
    ProcessUsage usage = snapshot();
    close();
    return usage;
  }

  private synchronized ProcessUsage usage() {
    long used = 0;
    long total = 0;
    for (Map.Entry<Long, Long> last : lastCpuTicks.entrySet()) {
      used += last.getValue() - firstCpuTicks.getOrDefault(last.getKey(), last.getValue());
      total += last.getValue();
    }
    return new ProcessUsage(
        pid,
        used / (double) CLOCK_TICKS,
        total / (double) CLOCK_TICKS,
        peakRss,
        maxRss,
        samples,
        CLOCK_TICKS);
  }

  @Override
  public void close() {
    synchronized (this) {
      stopped = true;
    }
    timer.shutdownNow();
  }

  /**
   * utime + stime (fields 14 and 15) of a {@code /proc/<pid>/stat} line. The command name (field 2)
   * is in parentheses and may itself contain spaces and parentheses, so fields are counted from the
   * last ')'.
   */
  static long cpuTicks(String statLine) {
    int end = statLine.lastIndexOf(')');
    if (end < 0) {
      throw new IllegalArgumentException("stat: '" + statLine + "' (expected: pid (comm) ...)");
    }
    String[] fields = statLine.substring(end + 2).trim().split(" +");
    // fields[0] is field 3 (state), so field n is fields[n - 3].
    return Long.parseLong(fields[14 - 3]) + Long.parseLong(fields[15 - 3]);
  }

  /** The value of a {@code Name: 123 kB} line of {@code /proc/<pid>/status}; 0 if absent. */
  static long kilobytes(List<String> statusLines, String name) {
    for (String line : statusLines) {
      if (line.startsWith(name)) {
        String value = line.substring(name.length()).trim();
        int space = value.indexOf(' ');
        return Long.parseLong(space < 0 ? value : value.substring(0, space));
      }
    }
    return 0;
  }

  private static long clockTicks() {
    try {
      Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      try (BufferedReader out =
          new BufferedReader(
              new InputStreamReader(getconf.getInputStream(), StandardCharsets.US_ASCII))) {
        String line = out.readLine();
        if (getconf.waitFor(10, TimeUnit.SECONDS) && getconf.exitValue() == 0 && line != null) {
          return Long.parseLong(line.trim());
        }
      }
    } catch (IOException | NumberFormatException e) {
      LOG.debug("getconf CLK_TCK failed; assuming 100 ticks per second", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 100;
  }
}
