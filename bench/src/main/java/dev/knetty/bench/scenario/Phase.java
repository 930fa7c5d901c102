package dev.knetty.bench.scenario;

import dev.knetty.bench.load.LoadResult;
import dev.knetty.bench.proc.ProcessUsage;
import dev.knetty.bench.report.LoadSummary;
import java.util.List;
import java.util.Objects;

/**
 * One load phase of a scenario, with what the accounted processes used during its measured part.
 *
 * @param label names the phase in tables and as the curve of the latency plot
 * @param processes the processes accounted during the phase, by name (e.g. {@code queue-proxy},
 *     {@link #LOAD_GENERATOR}); the first other than the load generator is the process under test
 */
public record Phase(String label, LoadResult result, List<Accounted> processes) {

  /** The name of the benchmark's own JVM, which runs the load generator. */
  public static final String LOAD_GENERATOR = "load-generator";

  /** A process's usage during a phase; CPU time covers the measured part only. */
  public record Accounted(String name, ProcessUsage usage) {
    public Accounted {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(usage, "usage");
    }

    /** CPU milliseconds per 1,000 measured requests of {@code result}. */
    public double cpuMillisPer1000(LoadResult result) {
      return usage.cpuSecondsPer1000(result.requests()) * 1000;
    }

    /** {@code VmHWM} in MiB. */
    public double peakRssMiB() {
      return usage.peakRssBytes() / (1024.0 * 1024.0);
    }
  }

  public Phase {
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(result, "result");
    processes = List.copyOf(processes);
  }

  /** A phase with one accounted process under test ({@code usage} may be null: none). */
  public Phase(String label, LoadResult result, ProcessUsage usage) {
    this(label, result, usage == null ? List.of() : List.of(new Accounted("under test", usage)));
  }

  /** The process under test: the first accounted one other than the load generator, or null. */
  public ProcessUsage usage() {
    return processes.stream()
        .filter(p -> !p.name().equals(LOAD_GENERATOR))
        .map(Accounted::usage)
        .findFirst()
        .orElse(null);
  }

  /** The process accounted as {@code name}, or null. */
  public Accounted process(String name) {
    return processes.stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
  }

  public LoadSummary summary() {
    return LoadSummary.of(result, usage());
  }
}
