package dev.knetty.common.kmp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogLimiterTest {

  @Test
  void oneLinePerIntervalAndItCountsWhatWasHeldBack() {
    AtomicLong now = new AtomicLong(1_000);
    LogLimiter limiter = new LogLimiter(Duration.ofNanos(100), now::get);

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
  void theSuffixSaysHowManyWereHeldBack() {
    assertThat(LogLimiter.suffix(2)).isEqualTo(" (2 similar events not logged)");
    assertThat(LogLimiter.suffix(0)).isEmpty();
  }
}
