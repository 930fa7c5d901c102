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
   * Listens on {@code 0.0.0.0:8080} with one event loop per core, half the cores for CPU work,
   * sleeps up to 5 minutes (Knative's default revision timeout), primes up to 40,000,000 (the bound
   * of Knative's image), bloat up to 128 MiB, and a 10 s shutdown grace.
   */
  public static SampleAppConfig defaults() {
    int cores = Runtime.getRuntime().availableProcessors();
    return new SampleAppConfig(
        "0.0.0.0",
        8080,
        cores,
        Math.max(1, cores / 2),
        1024,
        Duration.ofMinutes(5),
        40_000_000,
        128,
        10_000,
        250,
        Duration.ofSeconds(10));
  }

  public SampleAppConfig withHost(String newHost) {
    return new SampleAppConfig(
        newHost,
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

  public SampleAppConfig withPort(int newPort) {
    return new SampleAppConfig(
        host,
        newPort,
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

  public SampleAppConfig withIoThreads(int newIoThreads) {
    return new SampleAppConfig(
        host,
        port,
        newIoThreads,
        workThreads,
        workQueue,
        maxSleep,
        maxPrime,
        maxBloatMb,
        maxSseEvents,
        maxConcurrentStreams,
        shutdownGrace);
  }

  public SampleAppConfig withWork(int newWorkThreads, int newWorkQueue) {
    return new SampleAppConfig(
        host,
        port,
        ioThreads,
        newWorkThreads,
        newWorkQueue,
        maxSleep,
        maxPrime,
        maxBloatMb,
        maxSseEvents,
        maxConcurrentStreams,
        shutdownGrace);
  }

  public SampleAppConfig withShutdownGrace(Duration newShutdownGrace) {
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
        newShutdownGrace);
  }
}
