package dev.knetty.common.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogLimiterTest {

  @Test
  void oneLinePerIntervalAndItCountsWhatWasHeldBack() {
    AtomicLong now = new AtomicLong(1_000);
    LogLimiter limiter = new LogLimiter(Duration.ofNanos(100), 1, now::get);

    assertThat(limiter.tryAcquire()).isZero(); // the first one goes through
    now.addAndGet(10);
    assertThat(limiter.tryAcquire()).isEqualTo(-1);
    now.addAndGet(10);
    assertThat(limiter.tryAcquire()).isEqualTo(-1);
    now.addAndGet(100);
    assertThat(limiter.tryAcquire()).isEqualTo(2); // mentions the two held back
    assertThat(limiter.tryAcquire()).isEqualTo(-1);
  }

  @Test
  void aBurstGoesThroughPerInterval() {
    AtomicLong now = new AtomicLong(-5); // nanoTime may be negative
    LogLimiter limiter = new LogLimiter(Duration.ofNanos(100), 3, now::get);

    assertThat(limiter.tryAcquire()).isZero();
    assertThat(limiter.tryAcquire()).isZero();
    assertThat(limiter.tryAcquire()).isZero();
    assertThat(limiter.tryAcquire()).isEqualTo(-1);
    now.addAndGet(100);
    assertThat(limiter.tryAcquire()).isEqualTo(1);
    assertThat(limiter.tryAcquire()).isZero();
  }

  @Test
  void theSuffixSaysHowManyWereHeldBack() {
    assertThat(LogLimiter.suffix(2)).isEqualTo(" (2 similar lines not logged)");
    assertThat(LogLimiter.suffix(0)).isEmpty();
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> new LogLimiter(Duration.ofSeconds(1), 0))
        .hasMessage("burst: 0 (expected: >= 1)");
    assertThatThrownBy(() -> new LogLimiter(Duration.ofSeconds(-1)))
        .hasMessageContaining("interval");
  }
}
