package dev.knetty.autoscaler.kubernetes;

import dev.knetty.common.config.RevisionSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import java.util.List;
import java.util.Set;

/**
 * What a revision pod looks like to Knetty: which container serves, on which port and protocol, and
 * the queue-proxy ports next to it (Knative's {@code pkg/networking/constants.go}). The webhook
 * injects the queue-proxy on these ports; the autoscaler's Services point at them.
 */
public final class RevisionPods {

  private RevisionPods() {}

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

  /** A user container port of this name makes the revision speak h2c (Knative's rule). */
  public static final String H2C_PORT_NAME = "h2c";

  /**
   * Knative's serving container: the only container, else the first that declares a port (Knative
   * requires exactly one), else the first.
   *
   * @param containers a non-empty list
   */
  public static Container servingContainer(List<Container> containers) {
    return containers.stream()
        .filter(c -> !c.getPorts().isEmpty())
        .findFirst()
        .orElse(containers.get(0));
  }

  /** Knative's {@code getUserPort}: the container's first declared port, else 8080. */
  public static int firstPort(Container user) {
    if (!user.getPorts().isEmpty()) {
      Integer p = user.getPorts().get(0).getContainerPort();
      if (p != null && p != 0) {
        return p;
      }
    }
    return RevisionSettings.DEFAULT_USER_PORT;
  }

  /** Whether the serving container's first port is named {@value #H2C_PORT_NAME}. */
  public static boolean h2c(Container user) {
    List<ContainerPort> ports = user.getPorts();
    return !ports.isEmpty() && H2C_PORT_NAME.equals(ports.get(0).getName());
  }

  /** {@link #h2c(Container)} of a pod template's serving container; false without containers. */
  public static boolean h2c(PodTemplateSpec template) {
    PodSpec spec = template == null ? null : template.getSpec();
    if (spec == null || spec.getContainers() == null || spec.getContainers().isEmpty()) {
      return false;
    }
    return h2c(servingContainer(spec.getContainers()));
  }

  /** The queue-proxy's serving port of a revision. */
  public static int servingPort(boolean h2c) {
    return h2c ? H2C_SERVING_PORT : SERVING_PORT;
  }
}
