package dev.knetty.autoscaler.kubernetes.webhook;

import dev.knetty.common.http.KnativeHeaders;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GRPCAction;
import io.fabric8.kubernetes.api.model.HTTPGetActionBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.TCPSocketAction;

/**
 * Knative's readiness-probe rewrite ({@code pkg/reconciler/revision/resources/queue.go}, {@code
 * revision_defaults.go}): the user container's probe moves into the queue-proxy's {@code
 * SERVING_READINESS_PROBE}, and the queue-proxy gets a kubelet probe on its own serving port.
 */
final class ReadinessProbes {

  private ReadinessProbes() {}

  static final String LOCALHOST = "127.0.0.1";

  /** Kubernetes' probe defaults, written out so the patched pod is what the API server stores. */
  private static final int K8S_PERIOD_SECONDS = 10;

  private static final int K8S_TIMEOUT_SECONDS = 1;
  private static final int K8S_FAILURE_THRESHOLD = 3;

  /**
   * Knative's defaulting of the serving container's readiness probe: no probe or no handler becomes
   * {@code tcpSocket: {}}; {@code successThreshold} 0 becomes 1; only when {@code periodSeconds} is
   * set, {@code failureThreshold} 0 becomes 3 and {@code timeoutSeconds} 0 becomes 1.
   */
  static Probe withKnativeDefaults(Probe userProbe) {
    Probe p = userProbe == null ? new Probe() : new ProbeBuilder(userProbe).build();
    if (p.getExec() == null
        && p.getHttpGet() == null
        && p.getTcpSocket() == null
        && p.getGrpc() == null) {
      p.setTcpSocket(new TCPSocketAction());
    }
    if (zero(p.getSuccessThreshold())) {
      p.setSuccessThreshold(1);
    }
    if (!zero(p.getPeriodSeconds())) {
      if (zero(p.getFailureThreshold())) {
        p.setFailureThreshold(K8S_FAILURE_THRESHOLD);
      }
      if (zero(p.getTimeoutSeconds())) {
        p.setTimeoutSeconds(K8S_TIMEOUT_SECONDS);
      }
    }
    return p;
  }

  /** True for the handlers the queue-proxy runs instead of the kubelet (all but exec). */
  static boolean movesToQueueProxy(Probe userProbe) {
    return userProbe != null
        && (userProbe.getHttpGet() != null
            || userProbe.getTcpSocket() != null
            || userProbe.getGrpc() != null);
  }

  /**
   * The probe the queue-proxy runs against the user container, as Knative encodes it: host
   * 127.0.0.1; port = the probe's own port or the user port; scheme HTTP by default; an exec probe
   * becomes a TCP probe of the user port (the exec probe stays with the kubelet); a timeout below 1
   * s becomes 1 s when {@code periodSeconds > 0}. Zero numbers are omitted, as Go's {@code
   * omitempty} does.
   *
   * @param defaulted the result of {@link #withKnativeDefaults}
   */
  static Probe forQueueProxyToRun(Probe defaulted, Container user, int userPort) {
    Probe p = new ProbeBuilder(defaulted).build();
    if (p.getHttpGet() != null) {
      p.getHttpGet().setHost(LOCALHOST);
      p.getHttpGet().setPort(new IntOrString(port(p.getHttpGet().getPort(), user, userPort)));
      if (p.getHttpGet().getScheme() == null || p.getHttpGet().getScheme().isEmpty()) {
        p.getHttpGet().setScheme("HTTP");
      }
    } else if (p.getTcpSocket() != null) {
      p.getTcpSocket().setHost(LOCALHOST);
      p.getTcpSocket().setPort(new IntOrString(port(p.getTcpSocket().getPort(), user, userPort)));
    } else if (p.getGrpc() != null) {
      GRPCAction grpc = p.getGrpc();
      if (zero(grpc.getPort())) {
        grpc.setPort(userPort);
      }
      if (grpc.getService() == null) {
        grpc.setService("");
      }
    } else if (p.getExec() != null) {
      p.setExec(null);
      p.setTcpSocket(new TCPSocketAction(LOCALHOST, new IntOrString(userPort)));
    }
    if (!zero(p.getPeriodSeconds()) && zero(p.getTimeoutSeconds())) {
      p.setTimeoutSeconds(1);
    }
    p.setInitialDelaySeconds(nullIfZero(p.getInitialDelaySeconds()));
    p.setPeriodSeconds(nullIfZero(p.getPeriodSeconds()));
    p.setTimeoutSeconds(nullIfZero(p.getTimeoutSeconds()));
    p.setSuccessThreshold(nullIfZero(p.getSuccessThreshold()));
    p.setFailureThreshold(nullIfZero(p.getFailureThreshold()));
    return p;
  }

  /**
   * The queue-proxy container's own readiness probe: the user probe's timing with the handler
   * replaced by {@code GET :servingPort} carrying {@code K-Network-Probe: queue}, which the
   * queue-proxy answers by probing the user container.
   */
  static Probe forKubelet(Probe defaulted, int servingPort) {
    Probe p = new ProbeBuilder(defaulted).build();
    p.setExec(null);
    p.setTcpSocket(null);
    p.setGrpc(null);
    p.setHttpGet(
        new HTTPGetActionBuilder()
            .withPort(new IntOrString(servingPort))
            .withScheme("HTTP")
            .addNewHttpHeader()
            .withName(KnativeHeaders.NETWORK_PROBE.toString())
            .withValue(KnativeHeaders.PROBE_QUEUE)
            .endHttpHeader()
            .build());
    // Not allowed on readiness probes.
    p.setTerminationGracePeriodSeconds(null);
    if (zero(p.getPeriodSeconds())) {
      p.setPeriodSeconds(K8S_PERIOD_SECONDS);
    }
    if (zero(p.getTimeoutSeconds())) {
      p.setTimeoutSeconds(K8S_TIMEOUT_SECONDS);
    }
    if (zero(p.getFailureThreshold())) {
      p.setFailureThreshold(K8S_FAILURE_THRESHOLD);
    }
    return p;
  }

  /**
   * A probe's port: a number as given (0 or absent = the user port); a name resolved against the
   * user container's ports (Knative forbids named probe ports; plain pods allow them), else the
   * user port.
   */
  static int port(IntOrString port, Container user, int userPort) {
    if (port == null) {
      return userPort;
    }
    if (port.getIntVal() != null) {
      return port.getIntVal() != 0 ? port.getIntVal() : userPort;
    }
    String name = port.getStrVal();
    if (name == null || name.isEmpty()) {
      return userPort;
    }
    try {
      int n = Integer.parseInt(name);
      return n != 0 ? n : userPort;
    } catch (NumberFormatException e) {
      for (ContainerPort cp : user.getPorts()) {
        if (name.equals(cp.getName()) && cp.getContainerPort() != null) {
          return cp.getContainerPort();
        }
      }
      return userPort;
    }
  }

  private static boolean zero(Integer value) {
    return value == null || value == 0;
  }

  private static Integer nullIfZero(Integer value) {
    return zero(value) ? null : value;
  }
}
