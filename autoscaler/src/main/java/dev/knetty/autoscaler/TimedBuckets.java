package dev.knetty.autoscaler;

/**
 * Knative's {@code TimedFloat64Buckets} ({@code pkg/autoscaler/aggregation/bucketing.go}): a ring
 * of per-granularity sums covering one window, averaged linearly. Exactly Knative's rules:
 *
 * <ul>
 *   <li>values landing in the same bucket are summed; writes up to one window late go to their old
 *       bucket, older ones (boundary included) are dropped; skipped buckets become zeros;
 *   <li>the average covers only buckets since the first write (partial windows) and excludes the
 *       trailing buckets after the last write, and is rounded to 6 decimals (half away from zero);
 *   <li>{@link #isEmpty} is {@code now - lastWrite > window} while {@link #windowAverage} is 0 from
 *       {@code now - lastWrite >= window}: at exactly one window the data is "not empty" yet
 *       averages 0.
 * </ul>
 *
 * <p>Times are nanoseconds since the Unix epoch, truncated to the granularity (whole seconds). Not
 * thread-safe: the owner serialises access.
 */
class TimedBuckets {

  static final long NANOS_PER_SECOND = 1_000_000_000L;

  /** Go's zero {@code time.Time}: never written. */
  static final long NEVER = Long.MIN_VALUE;

  /** Bucket width in seconds. */
  final long granularity;

  /** Window length in seconds. */
  long window;

  double[] buckets;

  /** Bucket-aligned epoch seconds of the first write since the data was last reset. */
  long firstWrite = NEVER;

  /** Bucket-aligned epoch seconds of the newest bucket written. */
  long lastWrite = NEVER;

  /** Sum of all ring entries. */
  double windowTotal;

  /**
   * @param windowSeconds the window, whole seconds
   * @param granularitySeconds the bucket width, whole seconds
   */
  TimedBuckets(long windowSeconds, long granularitySeconds) {
    if (windowSeconds < 1 || granularitySeconds < 1) {
      throw new IllegalArgumentException(
          "window: "
              + windowSeconds
              + "s, granularity: "
              + granularitySeconds
              + "s (expected: >= 1s)");
    }
    this.granularity = granularitySeconds;
    this.window = windowSeconds;
    this.buckets = new double[bucketCount(windowSeconds)];
  }

  final int bucketCount(long windowSeconds) {
    return (int) ((windowSeconds + granularity - 1) / granularity);
  }

  /** {@code timeToIndex}: epoch seconds to an absolute bucket index. */
  final long index(long seconds) {
    return Math.floorDiv(seconds, granularity);
  }

  /** Epoch nanoseconds to the start of their bucket, in epoch seconds. */
  final long bucketTime(long nanos) {
    return index(Math.floorDiv(nanos, NANOS_PER_SECOND)) * granularity;
  }

  final int slot(long index) {
    return (int) Math.floorMod(index, (long) buckets.length);
  }

  /** Adds {@code value} to the bucket of {@code nanos}. */
  final void record(long nanos, double value) {
    long bucketTime = bucketTime(nanos);
    long writeIndex = index(bucketTime);
    if (lastWrite != bucketTime) {
      if (lastWrite != NEVER && lastWrite - bucketTime >= window) {
        return; // a window (or more) older than the newest data: dropped
      }
      if (firstWrite == NEVER || firstWrite > bucketTime) {
        firstWrite = bucketTime;
      }
      if (lastWrite == NEVER || bucketTime > lastWrite) {
        if (lastWrite == NEVER || bucketTime - lastWrite >= window) {
          // Nothing for a whole window: start over.
          firstWrite = bucketTime;
          java.util.Arrays.fill(buckets, 0);
          windowTotal = 0;
        } else {
          // Zero the buckets skipped since the last write, and the one we write to.
          for (long i = index(lastWrite) + 1; i <= writeIndex; i++) {
            int s = slot(i);
            windowTotal -= buckets[s];
            buckets[s] = 0;
          }
        }
        lastWrite = bucketTime;
      }
      // else: a late write within the window, added to its old bucket.
    }
    buckets[slot(writeIndex)] += value;
    windowTotal += value;
  }

  /** Whether nothing was written for more than a window before {@code nanos}. */
  final boolean isEmpty(long nanos) {
    return lastWrite == NEVER || bucketTime(nanos) - lastWrite > window;
  }

  /** Knative's linear {@code WindowAverage}. */
  double windowAverage(long nanos) {
    if (lastWrite == NEVER) {
      return 0;
    }
    long now = bucketTime(nanos);
    long d = now - lastWrite;
    long written = (lastWrite - firstWrite) / granularity + 1; // inclusive
    if (d <= 0) {
      return round6(windowTotal / Math.min(written, buckets.length));
    }
    if (d < window) {
      // Trailing buckets without data are not part of the average.
      long start = index(lastWrite);
      long end = index(now);
      double sum = windowTotal;
      for (long i = start + 1; i <= end; i++) {
        sum -= buckets[slot(i)];
      }
      long n = Math.min(written, buckets.length - (end - start));
      return n <= 0 ? 0 : round6(sum / n);
    }
    return 0;
  }

  /**
   * {@code ResizeWindow}: keeps the newest buckets if there was data within the old window before
   * {@code nanos}. Knative decides that with the wall clock; here the caller passes the time, so
   * the decision is reproducible.
   */
  void resizeWindow(long windowSeconds, long nanos) {
    if (windowSeconds == window) {
      return;
    }
    double[] resized = new double[bucketCount(windowSeconds)];
    double total = 0;
    if (lastWrite != NEVER && bucketTime(nanos) - lastWrite <= window) {
      int oldCount = buckets.length;
      long i = index(lastWrite);
      for (int n = 0; n < Math.min(resized.length, oldCount); n++, i--) {
        double v = buckets[(int) Math.floorMod(i, (long) oldCount)];
        resized[(int) Math.floorMod(i, (long) resized.length)] = v;
        total += v;
      }
      // The earliest time we may have data for.
      firstWrite = lastWrite - (oldCount - 1) * granularity;
    } else {
      firstWrite = NEVER;
    }
    window = windowSeconds;
    buckets = resized;
    windowTotal = total;
  }

  /** Go's {@code math.Round(x*1e6)/1e6}: half away from zero, so -3.6e-17 becomes 0. */
  static double round6(double x) {
    return goRound(x * 1e6) / 1e6;
  }

  /** Go's {@code math.Round} (Java's rounds halves up, towards positive infinity). */
  static double goRound(double x) {
    double a = Math.abs(x);
    double r = Math.floor(a);
    if (a - r >= 0.5) {
      r += 1;
    }
    return Math.copySign(r, x);
  }
}
