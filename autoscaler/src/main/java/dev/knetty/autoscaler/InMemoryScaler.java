package dev.knetty.autoscaler;

import dev.knetty.common.RevisionKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link Scaler} held in memory, for tests and demos: it records the replicas asked for and
 * reports the ready pods it is told ({@link #setReadyPods}), or, if so constructed, makes every
 * requested replica ready at once. Thread-safe.
 */
public final class InMemoryScaler implements Scaler {

  private final boolean readyFollowsReplicas;
  private final Map<RevisionKey, Integer> ready = new ConcurrentHashMap<>();
  private final Map<RevisionKey, List<Integer>> scaleCalls = new ConcurrentHashMap<>();
  private final Map<RevisionKey, Integer> adopted = new ConcurrentHashMap<>();
  private final List<ReadyPodsListener> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean activatorInPath = true;
  private volatile RuntimeException scaleFailure;

  /** A scaler whose ready pods change only through {@link #setReadyPods}. */
  public InMemoryScaler() {
    this(false);
  }

  /**
   * @param readyFollowsReplicas whether a successful {@link #scale} makes that many pods ready
   */
  public InMemoryScaler(boolean readyFollowsReplicas) {
    this.readyFollowsReplicas = readyFollowsReplicas;
  }

  @Override
  public int readyPods(RevisionKey key) {
    return ready.getOrDefault(key, 0);
  }

  @Override
  public int adoptedReplicas(RevisionKey key) {
    return adopted.getOrDefault(key, UNKNOWN);
  }

  /** Makes {@code key} a workload already running {@code replicas} ({@link #adoptedReplicas}). */
  public void adopt(RevisionKey key, int replicas) {
    adopted.put(key, replicas);
  }

  @Override
  public CompletionStage<Void> scale(RevisionKey key, int replicas) {
    Objects.requireNonNull(key, "key");
    RuntimeException failure = scaleFailure;
    if (failure != null) {
      return CompletableFuture.failedFuture(failure);
    }
    scaleCalls.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(replicas);
    if (readyFollowsReplicas) {
      setReadyPods(key, replicas);
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Boolean> activatorInPath(RevisionKey key) {
    return CompletableFuture.completedFuture(activatorInPath);
  }

  @Override
  public void addReadyPodsListener(ReadyPodsListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public void removeReadyPodsListener(ReadyPodsListener listener) {
    listeners.remove(listener);
  }

  /** Sets the ready pods of {@code key} (the special {@link #UNKNOWN} included) and tells. */
  public void setReadyPods(RevisionKey key, int readyPods) {
    Integer old = ready.put(key, readyPods);
    if (old == null || old != readyPods) {
      for (ReadyPodsListener l : listeners) {
        l.readyPodsChanged(key, readyPods);
      }
    }
  }

  /** Whether {@link #activatorInPath} confirms (default true). */
  public void setActivatorInPath(boolean inPath) {
    this.activatorInPath = inPath;
  }

  /** Makes every {@link #scale} fail with {@code failure}, or succeed again with null. */
  public void failScales(RuntimeException failure) {
    this.scaleFailure = failure;
  }

  /** The replicas last asked for {@code key}, or -1 if never. */
  public int replicas(RevisionKey key) {
    List<Integer> calls = scaleCalls.get(key);
    return calls == null || calls.isEmpty() ? -1 : calls.get(calls.size() - 1);
  }

  /** Every successful {@link #scale} of {@code key}, oldest first. */
  public List<Integer> scaleCalls(RevisionKey key) {
    return List.copyOf(scaleCalls.getOrDefault(key, new ArrayList<>()));
  }
}
