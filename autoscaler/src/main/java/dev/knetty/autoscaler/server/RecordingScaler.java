package dev.knetty.autoscaler.server;

import dev.knetty.autoscaler.Scaler;
import dev.knetty.common.RevisionKey;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link Scaler} that remembers the last replicas asked of it per revision, for display. */
final class RecordingScaler implements Scaler {

  private final Scaler delegate;
  private final ConcurrentHashMap<RevisionKey, Integer> requested = new ConcurrentHashMap<>();

  RecordingScaler(Scaler delegate) {
    this.delegate = delegate;
  }

  /** The replicas last asked for {@code key}, or -1 if never. */
  int requested(RevisionKey key) {
    return requested.getOrDefault(key, -1);
  }

  void forget(RevisionKey key) {
    requested.remove(key);
  }

  @Override
  public int readyPods(RevisionKey key) {
    return delegate.readyPods(key);
  }

  @Override
  public int adoptedReplicas(RevisionKey key) {
    return delegate.adoptedReplicas(key);
  }

  @Override
  public CompletionStage<Void> scale(RevisionKey key, int replicas) {
    requested.put(key, replicas);
    return delegate.scale(key, replicas);
  }

  @Override
  public CompletionStage<Boolean> activatorInPath(RevisionKey key) {
    return delegate.activatorInPath(key);
  }

  @Override
  public void addReadyPodsListener(ReadyPodsListener listener) {
    delegate.addReadyPodsListener(listener);
  }

  @Override
  public void removeReadyPodsListener(ReadyPodsListener listener) {
    delegate.removeReadyPodsListener(listener);
  }
}
