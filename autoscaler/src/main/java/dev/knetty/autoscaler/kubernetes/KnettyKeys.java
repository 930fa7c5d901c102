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

  /**
   * On the Services (and so their EndpointSlices) the autoscaler creates for a revision: {@value
   * #SERVICE_TYPE_PRIVATE} (selects the pods) or {@value #SERVICE_TYPE_PUBLIC} (what clients call;
   * its endpoints are the pods or the activators). Knative's {@code
   * networking.internal.knative.dev/serviceType}.
   */
  public static final String SERVICE_TYPE_LABEL = "knetty.dev/service-type";

  /** {@link #SERVICE_TYPE_LABEL} of the Service selecting a revision's pods. */
  public static final String SERVICE_TYPE_PRIVATE = "private";

  /** {@link #SERVICE_TYPE_LABEL} of the Service (and EndpointSlice) clients call. */
  public static final String SERVICE_TYPE_PUBLIC = "public";

  /**
   * The {@code endpointslice.kubernetes.io/managed-by} value of the EndpointSlices the autoscaler
   * writes (a revision's public endpoints, the leader's KMP endpoint).
   */
  public static final String ENDPOINT_SLICE_MANAGER = "knetty.dev";

  /** Kubernetes' label naming an EndpointSlice's Service. */
  public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  /** Kubernetes' label naming the controller of an EndpointSlice. */
  public static final String MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";

  /** The private Service of revision {@code revision}: Knative's name. */
  public static String privateServiceName(String revision) {
    return revision + "-private";
  }
}
