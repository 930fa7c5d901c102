package dev.knetty.dist.local;

import dev.knetty.activator.endpoints.PodEndpoint;
import dev.knetty.common.proxy.UpstreamTarget;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One pod of a local revision: an app process and its queue-proxy process, on two loopback ports.
 * Its state is owned by the {@link LocalScaler}'s thread.
 */
final class Pod {

  /** Where a pod is in its life. */
  enum State {
    /** Started; its queue-proxy has not answered a probe yet. */
    STARTING,
    /** Its queue-proxy answers probes: the app is ready. */
    READY,
    /** It was ready, then a probe failed. */
    UNREADY,
    /** Being stopped: out of the endpoints, queue-proxy draining, then the app. */
    STOPPING
  }

  final String name;
  final int appPort;
  final int servingPort;
  final Process app;
  final Process queueProxy;
  final Path appLog;
  final Path queueProxyLog;
  final long startNanos;

  // The scaler's thread only.
  State state = State.STARTING;
  long readyNanos;
  private final Set<ProcessHandle> appTree = new LinkedHashSet<>();

  Pod(
      String name,
      int appPort,
      int servingPort,
      Process app,
      Process queueProxy,
      Path appLog,
      Path queueProxyLog,
      long startNanos) {
    this.name = name;
    this.appPort = appPort;
    this.servingPort = servingPort;
    this.app = app;
    this.queueProxy = queueProxy;
    this.appLog = appLog;
    this.queueProxyLog = queueProxyLog;
    this.startNanos = startNanos;
    appTree.add(app.toHandle());
  }

  /** Its queue-proxy's address. */
  UpstreamTarget address() {
    return UpstreamTarget.of(PodLauncher.LOOPBACK, servingPort);
  }

  /** What the activator gets: every pod that is not stopping, ready or not (it probes them). */
  PodEndpoint endpoint() {
    return new PodEndpoint(address(), state == State.READY, false);
  }

  /**
   * Remembers the app's descendants: an app started through a shell may leave children behind when
   * the shell dies first, and those must be stopped with it.
   */
  void recordAppTree() {
    app.toHandle().descendants().forEach(appTree::add);
  }

  /** The app's processes seen so far, the app first. */
  List<ProcessHandle> appTree() {
    recordAppTree();
    return new ArrayList<>(appTree);
  }

  @Override
  public String toString() {
    return name;
  }
}
