package dev.knetty.dist.local;

import java.util.List;

/**
 * A revision's pods at one moment, as the {@link LocalScaler} last published them.
 *
 * @param desired the replicas the autoscaler asked for
 * @param ready pods whose queue-proxy answers probes
 * @param notReady pods starting, or no longer answering
 * @param stopping pods being stopped (draining)
 * @param started pods started since the beginning
 * @param failures pods that failed (a process ended unexpectedly, or could not be started)
 * @param failuresInARow failures since the revision last ran stably; drives the back-off
 * @param problem what went wrong with the last failed pod, until a pod is ready again; may be null
 * @param pods every pod that still has a process, stopping ones included
 */
record RevisionPods(
    int desired,
    int ready,
    int notReady,
    int stopping,
    int started,
    int failures,
    int failuresInARow,
    String problem,
    List<PodInfo> pods) {

  /** Before the first publication. */
  static final RevisionPods NONE = new RevisionPods(0, 0, 0, 0, 0, 0, 0, null, List.of());

  RevisionPods {
    pods = List.copyOf(pods);
  }

  /**
   * One pod.
   *
   * @param name its name, {@code <revision>-<n>}
   * @param state where it is in its life
   * @param app the app's process
   * @param queueProxy the queue-proxy's process
   * @param appPort the app's port
   * @param servingPort the queue-proxy's port
   */
  record PodInfo(
      String name,
      Pod.State state,
      ProcessHandle app,
      ProcessHandle queueProxy,
      int appPort,
      int servingPort) {

    static PodInfo of(Pod p) {
      return new PodInfo(
          p.name, p.state, p.app.toHandle(), p.queueProxy.toHandle(), p.appPort, p.servingPort);
    }
  }
}
