package dev.knetty.autoscaler.server;

import dev.knetty.common.RevisionKey;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * How the autoscaler learns which revisions exist and how to scale them: a file ({@link
 * FileRevisionSource}), a fixed list ({@link #fixed}), or, elsewhere, the Kubernetes Deployments of
 * revisions or local mode's own processes.
 *
 * <p>A source tells its {@link Listener} about every revision once it starts, then about each
 * change. It calls the listener from one thread at a time, never from a Netty event loop, and may
 * repeat an unchanged revision (the autoscaler ignores repeats).
 */
public interface RevisionSource extends AutoCloseable {

  /** Told about revisions. Implemented by the autoscaler; thread-safe. */
  interface Listener {
    /** {@code spec.key()} exists with these settings (new or changed). */
    void upsert(RevisionSpec spec);

    /** {@code key} is gone. */
    void remove(RevisionKey key);
  }

  /**
   * Starts telling {@code listener} about the revisions. Called once. It may deliver the current
   * revisions before it returns or later, from its own thread.
   */
  void start(Listener listener);

  /**
   * Whether the listener has been told the complete current set at least once (an informer's {@code
   * HasSynced}): the autoscaler is not ready before, since it would reject stats of revisions it
   * has not heard of yet.
   */
  boolean synced();

  /** Stops watching; the listener hears nothing more. */
  @Override
  void close();

  /** A source of {@code revisions} that never change: for tests, benchmarks and embedding. */
  static RevisionSource fixed(Collection<RevisionSpec> revisions) {
    List<RevisionSpec> copy = List.copyOf(revisions);
    return new RevisionSource() {
      private volatile boolean synced;

      @Override
      public void start(Listener listener) {
        Objects.requireNonNull(listener, "listener");
        copy.forEach(listener::upsert);
        synced = true;
      }

      @Override
      public boolean synced() {
        return synced;
      }

      @Override
      public void close() {}
    };
  }
}
