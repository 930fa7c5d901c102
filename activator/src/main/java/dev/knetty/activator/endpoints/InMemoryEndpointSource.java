package dev.knetty.activator.endpoints;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.RevisionSettings;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Revisions and pods that another component of the same process feeds in: local mode's process
 * scaler (which starts and stops the pods), tests, benchmarks. Synced from the start. Thread-safe;
 * the listener is called on the caller's thread, in call order.
 */
public final class InMemoryEndpointSource implements EndpointSource {

  private final Map<RevisionKey, RevisionEndpoints> revisions = new LinkedHashMap<>();
  private Listener listener;
  private boolean closed;

  /** Adds {@code revision} or replaces its settings (its endpoints stay). */
  public synchronized void upsertRevision(RevisionKey revision, RevisionSettings settings) {
    RevisionEndpoints previous = revisions.get(Objects.requireNonNull(revision, "revision"));
    upsert(
        new RevisionEndpoints(
            revision, settings, previous == null ? List.of() : previous.endpoints()));
  }

  /** Adds or replaces a revision with its settings and endpoints. */
  public synchronized void upsert(RevisionEndpoints revision) {
    revisions.put(revision.revision(), revision);
    if (listener != null && !closed) {
      listener.upsert(revision);
    }
  }

  /**
   * Replaces the endpoints of {@code revision}.
   *
   * @throws IllegalArgumentException if the revision was not {@link #upsertRevision upserted}
   */
  public synchronized void setEndpoints(RevisionKey revision, Collection<PodEndpoint> endpoints) {
    RevisionEndpoints previous = revisions.get(Objects.requireNonNull(revision, "revision"));
    if (previous == null) {
      throw new IllegalArgumentException(
          "revision: " + revision + " (expected: a revision upserted before its endpoints)");
    }
    upsert(previous.withEndpoints(List.copyOf(endpoints)));
  }

  /** Removes {@code revision}; nothing happens if it is unknown. */
  public synchronized void removeRevision(RevisionKey revision) {
    if (revisions.remove(revision) != null && listener != null && !closed) {
      listener.remove(revision);
    }
  }

  /** The revisions as last set. */
  public synchronized List<RevisionEndpoints> revisions() {
    return List.copyOf(revisions.values());
  }

  @Override
  public synchronized void start(Listener listener) {
    if (this.listener != null) {
      throw new IllegalStateException("in-memory endpoint source: already started");
    }
    this.listener = Objects.requireNonNull(listener, "listener");
    for (RevisionEndpoints revision : revisions.values()) {
      listener.upsert(revision);
    }
  }

  @Override
  public boolean synced() {
    return true;
  }

  @Override
  public synchronized void close() {
    closed = true;
  }
}
