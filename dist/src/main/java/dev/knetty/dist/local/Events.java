package dev.knetty.dist.local;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The last things local mode did (pods started, ready, stopped, crashed; replicas changed), for the
 * status view. Thread-safe; bounded.
 */
final class Events {

  /** One event. */
  record Event(Instant at, String text) {}

  private final int capacity;
  private final Clock clock;
  private final ArrayDeque<Event> events;

  Events(int capacity, Clock clock) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 1)");
    }
    this.capacity = capacity;
    this.clock = clock;
    this.events = new ArrayDeque<>(capacity);
  }

  synchronized void add(String text) {
    if (events.size() == capacity) {
      events.removeFirst();
    }
    events.addLast(new Event(clock.instant(), text));
  }

  /** The last {@code n} events, oldest first. */
  synchronized List<Event> last(int n) {
    List<Event> all = List.copyOf(events);
    return all.subList(Math.max(0, all.size() - n), all.size());
  }
}
