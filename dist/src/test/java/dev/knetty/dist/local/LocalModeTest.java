package dev.knetty.dist.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.autoscaler.RevisionSnapshot;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.config.RevisionAnnotations;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local mode end to end: the autoscaler and the activator in this JVM, each pod a real queue-proxy
 * process in front of a real sample-app process, over loopback. Each test runs its own local mode
 * with one revision (a few hundred milliseconds in this JVM; the pods dominate) so that no test
 * depends on what another left running; closing it must leave no process and no port behind.
 *
 * <p>Short windows: a 6 s stable window (Knative's minimum), a 3 s panic window, a 2 s grace
 * period. Bounds are generous: pods are JVMs started on a small, shared machine.
 */
class LocalModeTest {

  private static final Duration SCALING = Duration.ofSeconds(90);

  private static final AutoscalerConfig AUTOSCALER =
      AutoscalerConfig.fromMap(
          Map.of(
              "stable-window", "6s",
              "panic-window-percentage", "50",
              "scale-to-zero-grace-period", "2s",
              "allow-zero-initial-scale", "true"));

  @TempDir Path logs;

  private final Ports ports = new Ports();
  private final Set<ProcessHandle> started = new HashSet<>();
  private LocalMode local;

  @AfterEach
  void stopEverything() {
    if (local == null) {
      return;
    }
    started.addAll(local.scaler().liveProcesses());
    local.close();
    assertThat(started).noneMatch(ProcessHandle::isAlive);
    assertThat(ports.inUse()).as("pod ports still allocated").isZero();
  }

  @Test
  void scalesFromZeroToZeroAndBackFromZero() throws Exception {
    RevisionKey key = start("cold", 0, Map.of("initial-scale", "0", "target", "10"));
    assertThat(local.scaler().pods(key).desired()).isZero();

    long ttfbFirst = firstByteMillis(key);
    // Stable window, then grace period, then the pod drains and stops.
    await("scale to zero")
        .atMost(SCALING)
        .until(
            () -> {
              track(key);
              RevisionPods p = local.scaler().pods(key);
              return p.desired() == 0 && p.pods().isEmpty();
            });
    long ttfbAgain = firstByteMillis(key);

    System.out.printf(
        Locale.ROOT,
        "local mode scale from zero: time to first byte %d ms, again after scale to zero %d ms%n",
        ttfbFirst,
        ttfbAgain);
    assertThat(local.scaler().pods(key).started()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void sustainedConcurrencyAboveTargetScalesUpInPanicMode() throws Exception {
    RevisionKey key =
        start(
            "burst",
            0,
            Map.of("initial-scale", "1", "target", "10", "max-scale", "6", "min-scale", "0"));
    await("first pod").atMost(SCALING).until(() -> local.scaler().pods(key).ready() == 1);

    AtomicBoolean panicked = new AtomicBoolean();
    try (Load load = Load.start(local.activatorPort(), key, "/?sleep=200", 50)) {
      await("5 pods and panic mode")
          .atMost(SCALING)
          .until(
              () -> {
                RevisionSnapshot s = local.autoscaler().multiscaler().snapshot(key).orElse(null);
                if (s != null && s.panicMode()) {
                  panicked.set(true);
                }
                track(key);
                return panicked.get() && local.scaler().pods(key).ready() >= 5;
              });
      load.stop();
      assertThat(load.failures()).isEmpty();
      assertThat(load.successes()).isPositive();
    }
  }

  @Test
  void scalingDownUnderLoadFailsNoRequest() throws Exception {
    // Three pods for a load one pod can take: the autoscaler removes two while requests flow.
    RevisionKey key =
        start("drain", 0, Map.of("initial-scale", "3", "target", "10", "min-scale", "1"));
    try (Load load = Load.start(local.activatorPort(), key, "/?sleep=100", 3)) {
      await("scaled down to one pod, the others stopped")
          .atMost(SCALING)
          .until(
              () -> {
                track(key);
                RevisionPods p = local.scaler().pods(key);
                return p.started() == 3 && p.desired() == 1 && p.pods().size() == 1;
              });
      load.stop();
      assertThat(load.failures()).isEmpty();
      assertThat(load.successes()).isPositive();
    }
    assertThat(local.events().last(100))
        .filteredOn(e -> e.text().contains("stopping (scaled down)"))
        .hasSize(2);
  }

  @Test
  void aCrashedAppIsReplacedAndOnlyItsRequestFails() throws Exception {
    // containerConcurrency 1: at most one request is in flight on the pod whose app dies.
    RevisionKey key =
        start(
            "crash",
            1,
            Map.of("initial-scale", "2", "min-scale", "2", "max-scale", "2", "target", "1"));
    await("two ready pods").atMost(SCALING).until(() -> local.scaler().pods(key).ready() == 2);

    try (Load load = Load.start(local.activatorPort(), key, "/?sleep=50", 2)) {
      await("requests served").atMost(SCALING).until(() -> load.successes() >= 10);
      RevisionPods.PodInfo victim = local.scaler().pods(key).pods().get(0);
      track(key);
      victim.app().destroyForcibly();

      await("the pod unready")
          .atMost(SCALING)
          .until(
              () ->
                  local.scaler().pods(key).pods().stream()
                      .noneMatch(
                          p -> p.name().equals(victim.name()) && p.state() == Pod.State.READY));
      await("a new pod ready in its place")
          .atMost(SCALING)
          .until(
              () -> {
                track(key);
                RevisionPods p = local.scaler().pods(key);
                return p.ready() == 2
                    && p.started() == 3
                    && p.pods().stream().noneMatch(i -> i.name().equals(victim.name()));
              });
      long before = load.successes();
      await("requests served again").atMost(SCALING).until(() -> load.successes() > before + 10);
      load.stop();
      assertThat(load.failures()).hasSizeLessThanOrEqualTo(1);
    }
    RevisionPods p = local.scaler().pods(key);
    assertThat(p.failures()).isEqualTo(1);
    assertThat(p.problem()).isNull(); // cleared once a pod was ready again
  }

  @Test
  void anAppThatKeepsFailingIsRestartedWithBackOffAndItsOutputShown() throws Exception {
    LocalSpec spec =
        LocalFile.parse(
            "revisions:\n  - name: broken\n    command: echo cannot open config.yaml; exit 3\n"
                .getBytes(StandardCharsets.UTF_8),
            logs);
    RevisionKey key = spec.revisions().get(0).key();
    local = new LocalMode(spec, LocalConfig.ephemeral(logs), ports);
    local.start();

    await("restarted, then reported as crashing")
        .atMost(SCALING)
        .until(
            () -> {
              track(key);
              RevisionPods p = local.scaler().pods(key);
              return p.failuresInARow() >= LocalScaler.CRASH_LOOP && p.problem() != null;
            });
    assertThat(local.scaler().pods(key).problem())
        .startsWith("app keeps crashing: pod broken-")
        .contains("app exited with code 3 before it was ready")
        .endsWith(": cannot open config.yaml");
  }

  /** Starts local mode with one revision of the sample app. */
  private RevisionKey start(
      String name, int containerConcurrency, Map<String, String> annotations) {
    RevisionKey key = new RevisionKey(LocalFile.DEFAULT_NAMESPACE, name);
    Map<String, String> full = new LinkedHashMap<>();
    annotations.forEach((k, v) -> full.put(RevisionAnnotations.GROUP + k, v));
    full.put(RevisionAnnotations.GROUP + "target-utilization-percentage", "100");
    LocalRevision revision =
        Demo.sampleApp(key, JavaRuntime.current(), AUTOSCALER, containerConcurrency, full);
    local =
        new LocalMode(
            new LocalSpec(AUTOSCALER, List.of(revision)), LocalConfig.ephemeral(logs), ports);
    local.start();
    return key;
  }

  /** Remembers every process of {@code key}'s pods, to check that they are gone in the end. */
  private void track(RevisionKey key) {
    for (RevisionPods.PodInfo p : local.scaler().pods(key).pods()) {
      started.add(p.app());
      started.add(p.queueProxy());
    }
  }

  /** One request; the time until its status line and first body byte, in milliseconds. */
  private long firstByteMillis(RevisionKey key) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    long start = System.nanoTime();
    HttpResponse<InputStream> response =
        client.send(
            Load.request(local.activatorPort(), key, "/"),
            HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = response.body()) {
      int first = body.read();
      long millis = (System.nanoTime() - start) / 1_000_000;
      track(key);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat((char) first + new String(body.readAllBytes(), StandardCharsets.UTF_8))
          .startsWith("Hello");
      // Only an upper bound: two JVMs start on a busy two-core machine.
      assertThat(Duration.ofMillis(millis)).isLessThan(Duration.ofSeconds(30));
      return millis;
    }
  }
}
