package dev.knetty.autoscaler.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.config.ConfigException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config-autoscaler from a file or a mounted ConfigMap directory, re-read on change. */
class AutoscalerConfigWatcherTest {

  @TempDir Path dir;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<AutoscalerConfig> applied = new CopyOnWriteArrayList<>();
  private AutoscalerConfigWatcher watcher;
  private int generation;

  @AfterEach
  void close() {
    if (watcher != null) {
      watcher.close();
    }
  }

  /**
   * Writes {@code data} the way the kubelet updates a ConfigMap volume: a new hidden directory, the
   * {@code ..data} symlink swapped to it atomically, one symlink per key into {@code ..data}.
   */
  private Path configMap(Map<String, String> data) throws IOException {
    Path version = Files.createDirectory(dir.resolve("..2026_01_01_00_00_00." + generation++));
    for (Map.Entry<String, String> e : data.entrySet()) {
      Files.writeString(version.resolve(e.getKey()), e.getValue());
    }
    Path tmp = dir.resolve("..data_tmp");
    Files.createSymbolicLink(tmp, version.getFileName());
    Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
    for (String key : data.keySet()) {
      Path link = dir.resolve(key);
      if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        Files.createSymbolicLink(link, Path.of("..data").resolve(key));
      }
    }
    return dir;
  }

  private void watch(Path path) {
    // A long interval: the test polls itself.
    watcher = new AutoscalerConfigWatcher(path, Duration.ofHours(1), registry, applied::add);
  }

  private double errors() {
    return registry.get("knetty.autoscaler.config.errors").counter().count();
  }

  @Test
  void aMountedConfigMapIsOneFilePerKeyWithoutItsHiddenEntries() throws Exception {
    Path path = configMap(Map.of("stable-window", "30s", "max-scale", "7"));

    AutoscalerConfig c = AutoscalerConfigWatcher.load(path);

    assertThat(c.stableWindow()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.maxScale()).isEqualTo(7);
    assertThat(AutoscalerConfigWatcher.read(path)).containsOnlyKeys("stable-window", "max-scale");
  }

  @Test
  void aSymlinkSwapIsSeenAndApplied() throws Exception {
    Path path = configMap(Map.of("stable-window", "30s"));
    watch(path);
    watcher.poll();
    assertThat(applied).isEmpty(); // unchanged

    configMap(Map.of("stable-window", "45s"));
    watcher.poll();

    assertThat(applied)
        .singleElement()
        .satisfies(c -> assertThat(c.stableWindow()).isEqualTo(Duration.ofSeconds(45)));
    watcher.poll();
    assertThat(applied).hasSize(1);
  }

  @Test
  void aBadChangeKeepsTheLastGoodConfigAndIsCountedOnce() throws Exception {
    Path path = configMap(Map.of("stable-window", "30s"));
    watch(path);

    configMap(Map.of("stable-window", "5s"));
    watcher.poll();
    watcher.poll();
    assertThat(applied).isEmpty();
    assertThat(errors()).isEqualTo(1);

    configMap(Map.of("stable-window", "20s"));
    watcher.poll();
    assertThat(applied)
        .singleElement()
        .satisfies(c -> assertThat(c.stableWindow()).isEqualTo(Duration.ofSeconds(20)));
  }

  @Test
  void aFileIsReadAsWell() throws Exception {
    Path file = Files.writeString(dir.resolve("config-autoscaler.yaml"), "max-scale: \"3\"\n");
    watch(file);
    assertThat(AutoscalerConfigWatcher.load(file).maxScale()).isEqualTo(3);

    Files.writeString(file, "max-scale: \"4\"\n");
    watcher.poll();

    assertThat(applied).singleElement().satisfies(c -> assertThat(c.maxScale()).isEqualTo(4));
  }

  @Test
  void aBadConfigAtStartIsAnError() throws Exception {
    Path path = configMap(Map.of("panic-threshold-percentage", "lots"));

    assertThatThrownBy(() -> AutoscalerConfigWatcher.load(path))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("panic-threshold-percentage: lots");
  }
}
