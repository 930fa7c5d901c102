package dev.knetty.autoscaler;

/**
 * Knative's {@code max.TimeWindow} ({@code pkg/autoscaler/aggregation/max/}): the maximum of the
 * values recorded over the last {@code ceil(duration / granularity)} slots, slot {@code
 * floor(unixSeconds / granularity)}. A monotonic deque (the "ascending minima" algorithm inverted):
 * recording drops the tail entries not larger than the new value and the head entries that slid out
 * of the window; a second value for the same slot keeps the larger. Used for the scale-down delay
 * with 2-second slots. Not thread-safe.
 */
final class MaxTimeWindow {

  private final long granularitySeconds;
  private final long[] indexes;
  private final int[] values;
  private int first;
  private int length;

  MaxTimeWindow(long durationNanos, long granularityNanos) {
    if (durationNanos <= 0 || granularityNanos < TimedBuckets.NANOS_PER_SECOND) {
      throw new IllegalArgumentException(
          "duration: " + durationNanos + "ns, granularity: " + granularityNanos + "ns");
    }
    int size = (int) ((durationNanos + granularityNanos - 1) / granularityNanos);
    this.granularitySeconds = granularityNanos / TimedBuckets.NANOS_PER_SECOND;
    this.indexes = new long[size];
    this.values = new int[size];
  }

  /** Records {@code value} at {@code nanos} (epoch nanoseconds, non-decreasing). */
  void record(long nanos, int value) {
    long index =
        Math.floorDiv(Math.floorDiv(nanos, TimedBuckets.NANOS_PER_SECOND), granularitySeconds);
    recordSlot(index, value);
  }

  /** Records {@code value} for the slot {@code index} (non-decreasing). */
  void recordSlot(long index, int value) {
    int v = value;
    // Smaller (or equal) older values can never be the maximum again.
    while (length > 0 && v >= values[at(first + length - 1)]) {
      length--;
    }
    // Values that slid out of the window.
    while (length > 0 && index - indexes[first] >= indexes.length) {
      length--;
      first = (first + 1) % indexes.length;
    }
    // Same slot again: keep the larger.
    if (length > 0 && indexes[at(first + length - 1)] == index) {
      v = Math.max(v, values[at(first + length - 1)]);
      length--;
    }
    int slot = at(first + length);
    indexes[slot] = index;
    values[slot] = v;
    length++;
  }

  /** The maximum over the window (0 before any record). */
  int current() {
    return values[first];
  }

  private int at(int i) {
    return i % indexes.length;
  }
}
