package dev.knetty.autoscaler.kubernetes;

import dev.knetty.common.config.RevisionSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import java.util.List;

/**
 * What a revision pod looks like to Knetty: which container serves, on which port and protocol. The
 * queue-proxy's ports next to it are {@link dev.knetty.common.kubernetes.QueueProxyPorts}.
 */
public final class RevisionPods {

  private RevisionPods() {}

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
}
