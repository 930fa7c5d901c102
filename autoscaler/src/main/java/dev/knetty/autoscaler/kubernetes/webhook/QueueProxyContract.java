package dev.knetty.autoscaler.kubernetes.webhook;

import dev.knetty.autoscaler.kubernetes.RevisionPods;

/**
 * What the injected queue-proxy container is given: its name, ports and environment variables. The
 * queue-proxy parses exactly these variables (Knative's names, {@code
 * pkg/queue/sharedmain/main.go}, plus Knetty's {@code KNETTY_AUTOSCALER} and port variables).
 */
final class QueueProxyContract {

  private QueueProxyContract() {}

  static final String CONTAINER_NAME = "queue-proxy";

  // Ports (Knative pkg/networking/constants.go) and their container-port names.
  static final int ADMIN_PORT = RevisionPods.ADMIN_PORT;
  static final int STATS_PORT = RevisionPods.STATS_PORT;
  static final int METRICS_PORT = RevisionPods.METRICS_PORT;
  static final String SERVING_PORT_NAME = "http";
  static final String H2C_SERVING_PORT_NAME = RevisionPods.H2C_PORT_NAME;
  static final String ADMIN_PORT_NAME = "queue-admin";
  static final String STATS_PORT_NAME = "stats";
  static final String METRICS_PORT_NAME = "metrics";

  /** The user container's preStop hook blocks on this admin path until the queue-proxy drained. */
  static final String DRAIN_PATH = "/wait-for-drain";

  /**
   * The queue-proxy's drain quiet period (Knative's {@code drainSleepDuration}): after SIGTERM it
   * serves until no request arrived for this long.
   */
  static final int DRAIN_QUIET_PERIOD_SECONDS = 30;

  /** The JVM needs a writable /tmp (Netty extracts its native transport there). */
  static final String TMP_VOLUME = "knetty-queue-proxy-tmp";

  static final String TMP_SIZE_LIMIT = "64Mi";

  // Environment variables, Knative's names unless noted.
  static final String ENV_CONTAINER_CONCURRENCY = "CONTAINER_CONCURRENCY";
  static final String ENV_QUEUE_SERVING_PORT = "QUEUE_SERVING_PORT";
  static final String ENV_USER_PORT = "USER_PORT";
  static final String ENV_REVISION_TIMEOUT_SECONDS = "REVISION_TIMEOUT_SECONDS";
  static final String ENV_REVISION_RESPONSE_START_TIMEOUT_SECONDS =
      "REVISION_RESPONSE_START_TIMEOUT_SECONDS";
  static final String ENV_REVISION_IDLE_TIMEOUT_SECONDS = "REVISION_IDLE_TIMEOUT_SECONDS";
  static final String ENV_SERVING_READINESS_PROBE = "SERVING_READINESS_PROBE";
  static final String ENV_SERVING_NAMESPACE = "SERVING_NAMESPACE";
  static final String ENV_SERVING_SERVICE = "SERVING_SERVICE";
  static final String ENV_SERVING_CONFIGURATION = "SERVING_CONFIGURATION";
  static final String ENV_SERVING_REVISION = "SERVING_REVISION";
  static final String ENV_SERVING_POD = "SERVING_POD";
  static final String ENV_SERVING_POD_IP = "SERVING_POD_IP";

  /** Knetty: {@code host:port} of the autoscaler's KMP service. */
  static final String ENV_KNETTY_AUTOSCALER = "KNETTY_AUTOSCALER";

  /** Knetty: the ports Knative hard-codes, passed so that the queue-proxy does not. */
  static final String ENV_QUEUE_ADMIN_PORT = "QUEUE_ADMIN_PORT";

  static final String ENV_QUEUE_STATS_PORT = "QUEUE_STATS_PORT";
  static final String ENV_QUEUE_METRICS_PORT = "QUEUE_METRICS_PORT";
}
