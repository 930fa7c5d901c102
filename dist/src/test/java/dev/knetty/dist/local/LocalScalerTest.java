package dev.knetty.dist.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalScalerTest {

  @TempDir Path dir;

  @Test
  void aFailingRevisionBacksOffExponentiallyUpToABound() {
    assertThat(LocalScaler.backoff(0)).isEqualTo(Duration.ZERO);
    assertThat(LocalScaler.backoff(1)).isEqualTo(Duration.ofSeconds(1));
    assertThat(LocalScaler.backoff(2)).isEqualTo(Duration.ofSeconds(2));
    assertThat(LocalScaler.backoff(4)).isEqualTo(Duration.ofSeconds(8));
    assertThat(LocalScaler.backoff(6)).isEqualTo(LocalScaler.MAX_BACKOFF);
    assertThat(LocalScaler.backoff(1000)).isEqualTo(LocalScaler.MAX_BACKOFF);
  }

  @Test
  void theStatusShowsTheLastLineACrashedAppWrote() throws Exception {
    Path log = dir.resolve("app.log");
    Files.writeString(log, "starting\nError: cannot open config.yaml\n\n  \n");
    assertThat(LocalScaler.lastLine(log)).isEqualTo("Error: cannot open config.yaml");
    assertThat(LocalScaler.lastLine(dir.resolve("missing.log"))).isEmpty();
  }
}
