package dev.knetty.common.kmp;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/** Captures what a class logs, for tests that count log lines. */
final class LogCapture implements AutoCloseable {

  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  LogCapture(Class<?> source) {
    this.logger = (Logger) LoggerFactory.getLogger(source);
    appender.start();
    logger.addAppender(appender);
  }

  /** The formatted messages logged at WARN or above that contain {@code text}. */
  List<String> warnings(String text) {
    List<ILoggingEvent> events;
    synchronized (appender) { // appends are synchronized on the appender
      events = new ArrayList<>(appender.list);
    }
    return events.stream()
        .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        .map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.contains(text))
        .collect(Collectors.toList());
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
  }
}
