package dev.knetty.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The machine and JVM a benchmark ran on, from {@code /proc} and the JVM's system properties: what
 * a reader needs to judge the numbers.
 *
 * @param cpus processors available to the JVM
 * @param cpuModel {@code model name} of {@code /proc/cpuinfo}, or "unknown"
 * @param memoryMiB {@code MemTotal} of {@code /proc/meminfo}; 0 if unknown
 * @param os name and kernel version
 * @param java the JVM: name, version and vendor
 */
public record Environment(int cpus, String cpuModel, long memoryMiB, String os, String java) {

  /** This machine and this JVM. */
  public static Environment capture() {
    return new Environment(
        Runtime.getRuntime().availableProcessors(),
        readCpuModel(),
        memTotalKiB() / 1024,
        System.getProperty("os.name") + " " + System.getProperty("os.version"),
        System.getProperty("java.vm.name")
            + " "
            + System.getProperty("java.runtime.version", System.getProperty("java.version"))
            + " ("
            + System.getProperty("java.vendor")
            + ")");
  }

  /** One line, e.g. {@code 2 CPUs (AMD EPYC), 23.5 GiB, Linux 6.1; OpenJDK ... 17.0.15+6}. */
  public String describe() {
    return String.format(
        Locale.ROOT,
        "%d CPUs (%s), %.1f GiB, %s; %s",
        cpus,
        cpuModel,
        memoryMiB / 1024.0,
        os,
        java);
  }

  private static String readCpuModel() {
    for (String line : lines("/proc/cpuinfo")) {
      if (line.startsWith("model name")) {
        return line.substring(line.indexOf(':') + 1).trim();
      }
    }
    return "unknown";
  }

  private static long memTotalKiB() {
    for (String line : lines("/proc/meminfo")) {
      if (line.startsWith("MemTotal:")) {
        String[] parts = line.substring("MemTotal:".length()).trim().split("\\s+");
        try {
          return Long.parseLong(parts[0]);
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 0;
  }

  private static List<String> lines(String file) {
    try {
      return Files.readAllLines(Path.of(file));
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }
}
