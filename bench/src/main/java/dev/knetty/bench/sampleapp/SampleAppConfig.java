package dev.knetty.bench.sampleapp;

import dev.knetty.bench.GoDurations;
import java.time.Duration;
import java.util.Objects;

/**
 * The sample app's settings: where it listens and the bounds on what a request may ask for.
 *
 * @param host the bind address ({@code 0.0.0.0} for all interfaces)
 * @param port the port, 0 for any free port
 * @param ioThreads event loops
 * @param workThreads threads of the bounded executor that runs {@code prime} and {@code bloat}
 * @param workQueue tasks that may wait for a work thread; beyond that requests get 503
 * @param maxSleep the largest {@code sleep} (and SSE {@code interval}) accepted
 * @param maxPrime the largest {@code prime} accepted (Knative's image supports up to 40,000,000)
 * @param maxBloatMb the largest {@code bloat} in MiB accepted
 * @param maxSseEvents the largest SSE {@code n} accepted
 * @param maxConcurrentStreams the HTTP/2 {@code SETTINGS_MAX_CONCURRENT_STREAMS} we announce
 * @param shutdownGrace how long {@link SampleApp#close()} waits for requests in flight
 */
public record SampleAppConfig(
    String host,
    int port,
    int ioThreads,
    int workThreads,
    int workQueue,
    Duration maxSleep,
    int maxPrime,
    int maxBloatMb,
    int maxSseEvents,
    int maxConcurrentStreams,
    Duration shutdownGrace) {

  public SampleAppConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(maxSleep, "maxSleep");
    Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host: '" + host + "' (expected: an address to bind)");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
    }
    positive("ioThreads", ioThreads);
    positive("workThreads", workThreads);
    positive("workQueue", workQueue);
    positive("maxSseEvents", maxSseEvents);
    positive("maxConcurrentStreams", maxConcurrentStreams);
    if (maxSleep.isNegative() || maxSleep.isZero()) {
      throw new IllegalArgumentException(
          "maxSleep: " + GoDurations.format(maxSleep) + " (expected: > 0)");
    }
    if (maxPrime < 2) {
      throw new IllegalArgumentException("maxPrime: " + maxPrime + " (expected: >= 2)");
    }
    if (maxBloatMb < 0) {
      throw new IllegalArgumentException("maxBloatMb: " + maxBloatMb + " (expected: >= 0)");
    }
    if (shutdownGrace.isNegative()) {
      throw new IllegalArgumentException(
          "shutdownGrace: " + GoDurations.format(shutdownGrace) + " (expected: >= 0)");
    }
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
    }
  }

  /**
   * A builder starting from the defaults: {@code 0.0.0.0:8080}, one event loop per core, half the
   * cores for CPU work (queue 1024), sleeps up to 5 minutes (Knative's default revision timeout),
   * primes up to 40,000,000 (the bound of Knative's image), bloat up to 128 MiB, SSE up to 10,000
   * events, 250 concurrent HTTP/2 streams (Go's default) and a 10 s shutdown grace.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link SampleAppConfig}; {@link #build()} validates. */
  public static final class Builder {
    private String host = "0.0.0.0";
    private int port = 8080;
    private int ioThreads = Runtime.getRuntime().availableProcessors();
    private int workThreads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    private int workQueue = 1024;
    private Duration maxSleep = Duration.ofMinutes(5);
    private int maxPrime = 40_000_000;
    private int maxBloatMb = 128;
    private int maxSseEvents = 10_000;
    private int maxConcurrentStreams = 250;
    private Duration shutdownGrace = Duration.ofSeconds(10);

    private Builder() {}

    public Builder host(String value) {
      host = value;
      return this;
    }

    public Builder port(int value) {
      port = value;
      return this;
    }

    public Builder ioThreads(int value) {
      ioThreads = value;
      return this;
    }

    public Builder workThreads(int value) {
      workThreads = value;
      return this;
    }

    public Builder workQueue(int value) {
      workQueue = value;
      return this;
    }

    public Builder maxSleep(Duration value) {
      maxSleep = value;
      return this;
    }

    public Builder maxBloatMb(int value) {
      maxBloatMb = value;
      return this;
    }

    public Builder shutdownGrace(Duration value) {
      shutdownGrace = value;
      return this;
    }

    public SampleAppConfig build() {
      return new SampleAppConfig(
          host,
          port,
          ioThreads,
          workThreads,
          workQueue,
          maxSleep,
          maxPrime,
          maxBloatMb,
          maxSseEvents,
          maxConcurrentStreams,
          shutdownGrace);
    }
  }
}
