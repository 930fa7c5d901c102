package dev.knetty.autoscaler.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimitedLogTest {

  @Test
  void firstCallPassesThenNothingUntilTheIntervalIsOver() {
    RateLimitedLog log = new RateLimitedLog(Duration.ofHours(1));

    assertThat(log.tryAcquire()).isTrue();
    assertThat(log.tryAcquire()).isFalse();
    assertThat(log.tryAcquire()).isFalse();
  }

  @Test
  void passesAgainOnceTheIntervalIsOver() {
    RateLimitedLog log = new RateLimitedLog(Duration.ofNanos(1));

    assertThat(log.tryAcquire()).isTrue();
    // System.nanoTime() advances between the calls, past a 1 ns interval.
    await().atMost(Duration.ofSeconds(30)).until(log::tryAcquire);
  }
}
