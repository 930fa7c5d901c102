package dev.knetty.bench.proc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessSamplerTest {

  @Test
  void readsUtimePlusStimeAfterTheCommandName() {
    String stat =
        "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 100 1000"
            + " 200";
    assertThat(ProcessSampler.cpuTicks(stat)).isEqualTo(300);
  }

  @Test
  void readsKilobyteLinesOfStatus() {
    List<String> status = List.of("Name:\tjava", "VmHWM:\t  204800 kB", "VmRSS:\t  102400 kB");
    assertThat(ProcessSampler.kilobytes(status, "VmHWM:")).isEqualTo(204800);
    assertThat(ProcessSampler.kilobytes(status, "VmRSS:")).isEqualTo(102400);
    assertThat(ProcessSampler.kilobytes(status, "VmSwap:")).isZero();
  }

  @Test
  void samplesThisJvm() {
    assertThat(ProcessSampler.isSupported()).isTrue();
    ProcessUsage usage =
        ProcessSampler.start(ProcessHandle.current().pid(), Duration.ofMillis(10)).stop();
    assertThat(usage.pid()).isEqualTo(ProcessHandle.current().pid());
    assertThat(usage.totalCpuSeconds()).isPositive();
    assertThat(usage.cpuSeconds()).isGreaterThanOrEqualTo(0);
    assertThat(usage.peakRssBytes()).isPositive();
    assertThat(usage.maxSampledRssBytes()).isPositive().isLessThanOrEqualTo(usage.peakRssBytes());
    assertThat(usage.samples()).isGreaterThanOrEqualTo(2);
    assertThat(usage.clockTicksPerSecond()).isPositive();
  }

  @Test
  void aMissingProcessIsAClearError() {
    assertThatThrownBy(() -> ProcessSampler.start(Integer.MAX_VALUE, Duration.ofSeconds(1)))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("pid " + Integer.MAX_VALUE)
        .hasMessageContaining("expected: a running Linux process");
  }

  @Test
  void cpuPerThousandRequests() {
    ProcessUsage usage = new ProcessUsage(1, 2.5, 3, 1, 1, 1, 100);
    assertThat(usage.cpuSecondsPer1000(5000)).isEqualTo(0.5);
    assertThat(usage.cpuSecondsPer1000(0)).isZero();
  }
}
