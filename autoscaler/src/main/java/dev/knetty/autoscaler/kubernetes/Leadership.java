package dev.knetty.autoscaler.kubernetes;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this replica actuates. Every writer (scaling, Services and EndpointSlices, Events, the
 * KMP endpoint) checks {@link #leading()} right before it writes, so {@link #stop()} stops the
 * actuation at once; followers only watch and serve the webhook.
 */
final class Leadership {

  private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

  private final List<Runnable> onStart = new CopyOnWriteArrayList<>();
  private volatile boolean leading;

  /** Whether this replica leads now. */
  boolean leading() {
    return leading;
  }

  /** Runs {@code action} each time this replica starts leading; it must only hand work on. */
  void onStart(Runnable action) {
    onStart.add(action);
  }

  /** This replica leads: actuation on, then the start actions. */
  void start() {
    leading = true;
    for (Runnable action : onStart) {
      try {
        action.run();
      } catch (RuntimeException e) {
        LOG.warn("A start-of-leadership action failed: {}", e.toString());
      }
    }
  }

  /** This replica no longer leads: no more writes from now on. */
  void stop() {
    leading = false;
  }
}
