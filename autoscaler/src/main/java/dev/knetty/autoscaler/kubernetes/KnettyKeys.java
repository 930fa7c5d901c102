package dev.knetty.autoscaler.kubernetes;

/**
 * The labels and annotations that make a Deployment a Knetty revision. The label {@link
 * #REVISION_LABEL} on the Deployment and its pod template marks the revision; the annotations sit
 * on the pod template, next to Knative's {@code autoscaling.knative.dev/*} ones.
 */
public final class KnettyKeys {

  private KnettyKeys() {}

  /** The revision name; its presence on a pod makes the webhook add the queue-proxy. */
  public static final String REVISION_LABEL = "knetty.dev/revision";

  /** Optional: the configuration the revision belongs to ({@code SERVING_CONFIGURATION}). */
  public static final String CONFIGURATION_LABEL = "knetty.dev/configuration";

  /** Optional: the service the revision belongs to ({@code SERVING_SERVICE}). */
  public static final String SERVICE_LABEL = "knetty.dev/service";

  /** Knative's {@code spec.containerConcurrency}: an integer, 0 = unlimited. */
  public static final String CONTAINER_CONCURRENCY = "knetty.dev/container-concurrency";

  /** Knative's {@code spec.timeoutSeconds}. */
  public static final String TIMEOUT_SECONDS = "knetty.dev/timeout-seconds";

  /** Knative's {@code spec.responseStartTimeoutSeconds}. */
  public static final String RESPONSE_START_TIMEOUT_SECONDS =
      "knetty.dev/response-start-timeout-seconds";

  /** Knative's {@code spec.idleTimeoutSeconds}. */
  public static final String IDLE_TIMEOUT_SECONDS = "knetty.dev/idle-timeout-seconds";

  /** The port the user container listens on, when it is not the container's first port. */
  public static final String USER_PORT = "knetty.dev/user-port";
}
