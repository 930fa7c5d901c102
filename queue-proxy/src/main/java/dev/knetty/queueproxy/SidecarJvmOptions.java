package dev.knetty.queueproxy;

import java.util.List;

/**
 * The JVM options the queue-proxy runs with as a sidecar: a small heap, Serial GC (no GC threads
 * next to the app), C1 only, bounded native memory. {@code bin/knetty queue-proxy} uses the same
 * list (a test keeps the two in step); local mode and the benchmarks start queue-proxies with it.
 */
public final class SidecarJvmOptions {

  /** The options, in {@code bin/knetty}'s order. */
  public static final List<String> OPTIONS =
      List.of(
          "-XX:+UseSerialGC",
          "-Xms8m",
          "-Xmx64m",
          "-Xss256k",
          "-XX:MaxDirectMemorySize=32m",
          "-XX:MaxMetaspaceSize=64m",
          "-XX:ReservedCodeCacheSize=32m",
          "-XX:TieredStopAtLevel=1",
          "-XX:+UseCompressedOops",
          "-XX:-UsePerfData",
          "-XX:+ExitOnOutOfMemoryError");

  private SidecarJvmOptions() {}
}
