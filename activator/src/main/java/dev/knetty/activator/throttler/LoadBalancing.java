package dev.knetty.activator.throttler;

import dev.knetty.common.breaker.Permit;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Knative's activator load-balancing policies ({@code pkg/activator/net/lb_policy.go}), chosen by
 * containerConcurrency. Each picks a pod of the assigned ones and reserves a slot on it.
 */
enum LoadBalancing {
  /** CC 1-3: the first pod, in sorted order, with a free slot. */
  FIRST_AVAILABLE,
  /** CC 4 and more: round robin over the pods with a free slot, from a shared index. */
  ROUND_ROBIN,
  /** CC 0: the less loaded of two random pods (ties: a coin flip); never refuses. */
  RANDOM_CHOICE_2;

  /** Knative's default policy for {@code containerConcurrency}. */
  static LoadBalancing forContainerConcurrency(int containerConcurrency) {
    if (containerConcurrency == 0) {
      return RANDOM_CHOICE_2;
    }
    return containerConcurrency <= 3 ? FIRST_AVAILABLE : ROUND_ROBIN;
  }

  /**
   * Picks a pod of {@code pods} and reserves a slot on it into {@code lease}.
   *
   * @param roundRobin the shared index of {@link #ROUND_ROBIN}
   * @return whether a slot was reserved
   */
  boolean pick(List<PodTracker> pods, AtomicInteger roundRobin, Lease lease) {
    int n = pods.size();
    if (n == 0) {
      return false;
    }
    switch (this) {
      case FIRST_AVAILABLE:
        for (int i = 0; i < n; i++) {
          if (reserve(pods.get(i), lease)) {
            return true;
          }
        }
        return false;
      case ROUND_ROBIN:
        // Knative serialises this with a mutex; racing loops may start at the same index, which
        // only affects fairness: each reservation is atomic.
        int start = roundRobin.get();
        if (start >= n) {
          start = 0;
        }
        for (int i = 0; i < n; i++) {
          int p = (start + i) % n;
          if (reserve(pods.get(p), lease)) {
            roundRobin.set(p + 1);
            return true;
          }
        }
        return false;
      case RANDOM_CHOICE_2:
        return reserve(randomChoice2(pods), lease);
      default:
        throw new AssertionError(this);
    }
  }

  private static PodTracker randomChoice2(List<PodTracker> pods) {
    int n = pods.size();
    if (n == 1) {
      return pods.get(0);
    }
    int r1 = 0;
    int r2 = 1;
    ThreadLocalRandom random = ThreadLocalRandom.current();
    if (n > 2) {
      // Two distinct indices: the second is drawn from the n-1 others.
      r1 = random.nextInt(n);
      r2 = random.nextInt(n - 1);
      if (r2 >= r1) {
        r2++;
      }
    }
    PodTracker pick = pods.get(r1);
    PodTracker alt = pods.get(r2);
    int w1 = pick.inFlight();
    int w2 = alt.inFlight();
    if (w1 > w2 || (w1 == w2 && random.nextBoolean())) {
      pick = alt;
    }
    return pick;
  }

  private static boolean reserve(PodTracker pod, Lease lease) {
    Permit permit = pod.tryReserve();
    if (permit == null) {
      return false;
    }
    lease.pod(pod, permit);
    return true;
  }
}
