package dev.knetty.bench.proc;

/**
 * What a process consumed, from {@code /proc/<pid>/stat} and {@code /proc/<pid>/status}.
 *
 * @param cpuSeconds user + system CPU time used between the first sample (or the last {@link
 *     ProcessSampler#rebase()}) and the last sample
 * @param totalCpuSeconds user + system CPU time used since the process started (last sample)
 * @param peakRssBytes {@code VmHWM} at the last sample: the largest resident set the process ever
 *     had, start-up included (with descendants: the sum of their peaks)
 * @param maxSampledRssBytes the largest {@code VmRSS} seen by a sample
 * @param samples how many samples were taken
 * @param clockTicksPerSecond the {@code CLK_TCK} the CPU times were converted with
 */
public record ProcessUsage(
    long pid,
    double cpuSeconds,
    double totalCpuSeconds,
    long peakRssBytes,
    long maxSampledRssBytes,
    int samples,
    long clockTicksPerSecond) {

  /** CPU seconds per 1,000 requests; 0 when there were none. */
  public double cpuSecondsPer1000(long requests) {
    return requests <= 0 ? 0 : cpuSeconds * 1000.0 / requests;
  }
}
