package dev.knetty.common.kmp;

import dev.knetty.common.log.LogLimiter;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import org.slf4j.Logger;

/**
 * Logs why connections close: ordinary ends at debug, problems as one warning naming the peer and
 * the reason, at most one per reason per interval (with the count of those held back).
 */
final class ProblemLog {

  private final Logger log;
  private final Map<CloseReason, LogLimiter> limiters = new EnumMap<>(CloseReason.class);

  ProblemLog(Logger log, Duration interval) {
    this.log = log;
    for (CloseReason reason : CloseReason.values()) {
      limiters.put(reason, new LogLimiter(interval));
    }
  }

  /** Logs a closed connection; {@code bug} is the exception of an internal error, else null. */
  void closed(String connection, CloseReason reason, String detail, Throwable bug) {
    if (reason.isOrdinary()) {
      log.debug("{} closed: {} ({})", connection, reason, detail);
      return;
    }
    long suppressed = limiters.get(reason).tryAcquire();
    if (suppressed >= 0) {
      log.warn(
          "{} closed: {} ({}){}", connection, reason, detail, LogLimiter.suffix(suppressed), bug);
    }
  }
}
