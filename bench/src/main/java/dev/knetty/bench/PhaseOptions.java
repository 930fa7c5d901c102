package dev.knetty.bench;

import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * {@code --duration}, {@code --warmup} and {@code --timeout} of the scenarios that measure each
 * target for a fixed time; an option left out takes the scenario's default.
 */
final class PhaseOptions {

  @Option(
      names = "--duration",
      converter = GoDurations.Converter.class,
      description = "Measured duration per target.")
  Duration duration;

  @Option(
      names = "--warmup",
      converter = GoDurations.Converter.class,
      description = "Warm-up per target, not counted.")
  Duration warmup;

  @Option(
      names = "--timeout",
      converter = GoDurations.Converter.class,
      description = "Request timeout.")
  Duration timeout;

  Duration duration(Duration fallback) {
    return duration == null ? fallback : duration;
  }

  Duration warmup(Duration fallback) {
    return warmup == null ? fallback : warmup;
  }

  Duration timeout(Duration fallback) {
    return timeout == null ? fallback : timeout;
  }
}
