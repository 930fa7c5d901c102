package dev.knetty.common.kubernetes;

import java.util.Set;

/**
 * The ports the queue-proxy listens on in a revision pod (Knative's {@code
 * pkg/networking/constants.go}). The webhook injects the queue-proxy on these ports, the
 * autoscaler's Services point at them and a user container may not use them.
 */
public final class QueueProxyPorts {

  private QueueProxyPorts() {}

  /** The queue-proxy's HTTP/1.1 serving port. */
  public static final int SERVING_PORT = 8012;

  /** The queue-proxy's serving port for h2c revisions. */
  public static final int H2C_SERVING_PORT = 8013;

  /** The queue-proxy's admin port ({@code /wait-for-drain}). */
  public static final int ADMIN_PORT = 8022;

  /** The queue-proxy's Knative stat endpoint. */
  public static final int STATS_PORT = 9090;

  /** The queue-proxy's Prometheus port. */
  public static final int METRICS_PORT = 9091;

  /**
   * Ports the queue-proxy binds in the pod's network namespace; a user container cannot use them
   * (Knative's {@code reservedPorts}).
   */
  public static final Set<Integer> RESERVED_PORTS =
      Set.of(SERVING_PORT, H2C_SERVING_PORT, ADMIN_PORT, STATS_PORT, METRICS_PORT);

  /** The queue-proxy's serving port of a revision. */
  public static int servingPort(boolean h2c) {
    return h2c ? H2C_SERVING_PORT : SERVING_PORT;
  }
}
