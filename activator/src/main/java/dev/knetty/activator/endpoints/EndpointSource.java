package dev.knetty.activator.endpoints;

import dev.knetty.common.RevisionKey;

/**
 * Where the activator learns the revisions it serves, their settings and their pods: a file ({@link
 * FileEndpointSource}), another component of the same process ({@link InMemoryEndpointSource}), or
 * Kubernetes ({@code dev.knetty.activator.kubernetes.KubernetesEndpointSource}: Deployments and
 * EndpointSlices, whose endpoint conditions map to {@link PodEndpoint}).
 *
 * <p>A source reports whole revisions: every {@link Listener#upsert} replaces what the activator
 * knew of that revision. Listener methods must be called in order (one thread at a time); they
 * never block.
 */
public interface EndpointSource extends AutoCloseable {

  /** What a source reports to. */
  interface Listener {
    /** {@code revision} is new or changed (settings or endpoints). */
    void upsert(RevisionEndpoints revision);

    /** {@code revision} is gone. */
    void remove(RevisionKey revision);
  }

  /**
   * Starts reporting to {@code listener}: first every revision known so far, then changes. Called
   * once.
   */
  void start(Listener listener);

  /**
   * Whether the source has delivered its initial state (the file was read, the informers synced).
   * The activator is not ready before.
   */
  boolean synced();

  /** Stops reporting and releases resources. */
  @Override
  void close();
}
