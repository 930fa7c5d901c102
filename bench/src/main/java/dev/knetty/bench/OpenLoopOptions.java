package dev.knetty.bench;

import dev.knetty.bench.load.LoadSpec;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * {@code --rate}, {@code --sleep}, {@code --connections} and {@code --h2c} of the open-loop
 * scenarios that call the sample app's {@code ?sleep=}; an option left out takes the scenario's
 * default.
 */
final class OpenLoopOptions {

  @Option(names = "--rate", description = "Requests per second.")
  Double rate;

  @Option(
      names = "--sleep",
      converter = GoDurations.Converter.class,
      description = "Sleep per request: the latency floor (default 100ms).")
  Duration sleep;

  @Option(names = "--connections", description = "Keep-alive connections.")
  Integer connections;

  @Option(names = "--h2c", description = "HTTP/2 over cleartext with prior knowledge.")
  boolean h2c;

  double rate(double fallback) {
    return rate == null ? fallback : rate;
  }

  Duration sleep(Duration fallback) {
    return sleep == null ? fallback : sleep;
  }

  int connections(int fallback) {
    return connections == null ? fallback : connections;
  }

  LoadSpec.Protocol protocol(LoadSpec.Protocol fallback) {
    return h2c ? LoadSpec.Protocol.H2C : fallback;
  }
}
