package dev.knetty.dist.local;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.config.RevisionAnnotations;
import dev.knetty.common.config.RevisionDefaults;
import dev.knetty.common.config.RevisionScaling;
import dev.knetty.common.config.RevisionSettings;
import dev.knetty.dist.Knetty;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code knetty local --demo}: the bundled sample app ({@code knetty sample-app} on this class
 * path) as one revision, tuned to show scale-from-zero, a panic scale-up and scale-to-zero within a
 * minute on a laptop: it starts at zero; a short stable window (10 s, panic window 3 s) and grace
 * period (10 s); a soft target of 2 requests per pod and a hard limit of 4 (so the activator
 * buffers during a burst), at most 5 pods (10 JVMs).
 */
final class Demo {

  /** The demo revision. */
  static final RevisionKey REVISION = new RevisionKey(LocalFile.DEFAULT_NAMESPACE, "hello");

  /** The demo's {@code config-autoscaler}. */
  static final Map<String, String> AUTOSCALER =
      Map.of(
          "stable-window", "10s",
          // 3 s: a 1 s panic window (the default 10 %) averages a single bucket, often empty.
          "panic-window-percentage", "30",
          "scale-to-zero-grace-period", "10s",
          "allow-zero-initial-scale", "true");

  /** The demo revision's annotations. */
  static final Map<String, String> ANNOTATIONS =
      Map.of(
          RevisionAnnotations.GROUP + "initial-scale", "0",
          RevisionAnnotations.GROUP + "target", "2",
          RevisionAnnotations.GROUP + "target-utilization-percentage", "100",
          RevisionAnnotations.GROUP + "max-scale", "5");

  /** The demo revision's containerConcurrency. */
  static final int CONTAINER_CONCURRENCY = 4;

  /**
   * The sample app's JVM: small, quick to start (C1 only), logging through logback (the test class
   * path has two slf4j providers).
   */
  static final List<String> APP_JVM_OPTIONS =
      List.of(
          "-XX:+UseSerialGC",
          "-Xms16m",
          "-Xmx64m",
          "-Xss512k",
          "-XX:TieredStopAtLevel=1",
          "-XX:-UsePerfData",
          "-Dslf4j.provider=ch.qos.logback.classic.spi.LogbackServiceProvider");

  private Demo() {}

  /**
   * {@code knetty sample-app} on {@code java}'s class path, listening on loopback at {@code PORT}.
   */
  static List<String> sampleAppCommand(JavaRuntime java) {
    return java.command(
        APP_JVM_OPTIONS,
        Knetty.class.getName(),
        List.of("sample-app", "--host", PodLauncher.LOOPBACK, "--io-threads", "1"));
  }

  /** The demo: one revision of the sample app. */
  static LocalSpec spec(JavaRuntime java) {
    AutoscalerConfig config = AutoscalerConfig.fromMap(AUTOSCALER);
    return new LocalSpec(
        config, List.of(sampleApp(REVISION, java, config, CONTAINER_CONCURRENCY, ANNOTATIONS)));
  }

  /**
   * A revision of the sample app (also the end-to-end tests'), in the current directory.
   *
   * @throws dev.knetty.common.config.ConfigException if the annotations are invalid
   */
  static LocalRevision sampleApp(
      RevisionKey key,
      JavaRuntime java,
      AutoscalerConfig config,
      int containerConcurrency,
      Map<String, String> annotations) {
    RevisionSettings settings =
        RevisionSettings.resolve(
            RevisionDefaults.defaults(), containerConcurrency, null, null, null, null);
    RevisionScaling scaling =
        RevisionScaling.derive(
            config,
            RevisionAnnotations.parse(annotations, config),
            settings.containerConcurrency(),
            true);
    return new LocalRevision(
        key,
        sampleAppCommand(java),
        Map.of(),
        Path.of("").toAbsolutePath(),
        settings,
        annotations,
        scaling);
  }

  /** What to try, for the banner. */
  static List<String> instructions(String activatorUrl) {
    return List.of(
        "Demo: revision 'hello' runs the bundled sample app; it starts at zero pods.",
        "In another terminal:",
        "  curl -i " + activatorUrl + "/",
        "      the first request scales it from zero (a pod is two JVMs: a few seconds)",
        "  bin/knetty bench load --rate 20 --duration 40s '" + activatorUrl + "/?sleep=500'",
        "      ~10 requests in flight against a target of 2 per pod: panic, up to 5 pods",
        "Watch READY/DESIRED, CONCURRENCY and PANIC; once the load stops the revision scales",
        "down, and to zero ~20 s later (10 s stable window, then 10 s grace period).");
  }
}
