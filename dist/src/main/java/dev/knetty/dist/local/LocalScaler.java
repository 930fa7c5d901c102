package dev.knetty.dist.local;

import dev.knetty.activator.endpoints.InMemoryEndpointSource;
import dev.knetty.activator.endpoints.PodEndpoint;
import dev.knetty.autoscaler.Scaler;
import dev.knetty.common.RevisionKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The autoscaler's {@link Scaler} for local mode: each revision's pods are local processes (see
 * {@link PodLauncher}), started and stopped to match the replicas the autoscaler asks for, as a
 * ReplicaSet would.
 *
 * <ul>
 *   <li><b>Ready pods</b> are those whose queue-proxy answers the activator's probe ({@link
 *       PodProber}): starting pods are probed until they answer, ready ones every second. Changes
 *       go to the ready-pods listeners at once.
 *   <li><b>Endpoints</b>: every pod that is not stopping is in the activator's {@link
 *       InMemoryEndpointSource}, ready or not: the activator probes new pods itself and uses them
 *       as soon as they answer.
 *   <li><b>Stopping</b> a pod (fewer replicas, not-ready and newest pods first): out of the
 *       endpoints first, then SIGTERM to the queue-proxy, which drains (requests in flight finish);
 *       once it exited, SIGTERM to the app's process tree, SIGKILL after {@link #APP_STOP_GRACE}.
 *   <li><b>Failures</b>: a pod whose app or queue-proxy exits unexpectedly (a crash, a port taken
 *       by another process between allocation and bind, a command that does not exist) leaves the
 *       endpoints at once, its other process is stopped and a new pod with new ports replaces it,
 *       after a back-off that doubles with each failure in a row (1 s up to {@link #MAX_BACKOFF})
 *       and one pod at a time while none is ready: a broken app is restarted a few times a minute,
 *       not in a loop. The status says that the app keeps crashing and shows its last output line.
 *   <li>{@link #activatorInPath} is always true: in local mode every request goes through the
 *       activator.
 * </ul>
 *
 * <p>Threading: every pod and revision state lives on one scheduler thread of its own; the {@link
 * Scaler} methods only hand work to it or read published values, so they never block the
 * autoscaler. Process exits and probe results come back to that thread.
 */
final class LocalScaler implements Scaler, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalScaler.class);

  /** How long the app gets after SIGTERM before it is killed. */
  static final Duration APP_STOP_GRACE = Duration.ofSeconds(10);

  /** When shutting down, how long a queue-proxy gets to drain before it is killed. */
  static final Duration SHUTDOWN_DRAIN = Duration.ofSeconds(10);

  /** The longest back-off between starts of a failing revision's pods. */
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  /** A pod ready for this long ends a revision's run of failures. */
  static final Duration STABLE = Duration.ofSeconds(10);

  /** Failures in a row after which the app is said to keep crashing. */
  static final int CRASH_LOOP = 3;

  private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  private static final long READY_PROBE_INTERVAL_MS = 1000;
  private static final long RETRY_PROBE_INTERVAL_MS = 100;
  private static final int LOG_TAIL_BYTES = 4096;

  private final InMemoryEndpointSource endpoints;
  private final Ports ports;
  private final Events events;
  private final PodProber prober = new PodProber();
  private final ScheduledThreadPoolExecutor loop;
  private final Map<RevisionKey, Pool> pools = new LinkedHashMap<>();
  private final List<ReadyPodsListener> listeners = new CopyOnWriteArrayList<>();
  private final Set<ProcessHandle> live = ConcurrentHashMap.newKeySet();
  private final AtomicInteger podSequence = new AtomicInteger();
  private final CompletableFuture<Void> allStopped = new CompletableFuture<>();
  private volatile boolean closing;
  private PodLauncher launcher; // set by start, then used on the loop thread only

  /**
   * @param revisions the revisions whose pods it runs
   * @param endpoints the activator's endpoint source; every revision must already be in it
   * @param ports where pod ports come from
   * @param events where the status view reads what happened
   */
  LocalScaler(
      List<LocalRevision> revisions, InMemoryEndpointSource endpoints, Ports ports, Events events) {
    this.endpoints = Objects.requireNonNull(endpoints, "endpoints");
    this.ports = Objects.requireNonNull(ports, "ports");
    this.events = Objects.requireNonNull(events, "events");
    for (LocalRevision r : revisions) {
      pools.put(r.key(), new Pool(r));
    }
    loop =
        new ScheduledThreadPoolExecutor(1, new DefaultThreadFactory("knetty-local-scaler", true));
    loop.setRemoveOnCancelPolicy(true);
  }

  /**
   * Starts each revision's initial scale with {@code launcher} (as Knative creates a revision's
   * Deployment with {@code initial-scale} replicas before the autoscaler decides anything). Called
   * once, once the autoscaler runs: the queue-proxies need its address.
   */
  void start(PodLauncher launcher) {
    Objects.requireNonNull(launcher, "launcher");
    run(
        () -> {
          this.launcher = launcher;
          for (Pool pool : pools.values()) {
            // Unless the autoscaler asked for replicas already.
            pool.scaleTo(
                pool.asked ? pool.desired : pool.revision.scaling().decider().initialScale());
          }
        });
  }

  @Override
  public int readyPods(RevisionKey key) {
    Pool pool = pools.get(key);
    return pool == null ? 0 : pool.status.ready();
  }

  @Override
  public CompletionStage<Void> scale(RevisionKey key, int replicas) {
    Pool pool = pools.get(key);
    if (pool == null) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException("revision: " + key + " (expected: a local revision)"));
    }
    if (replicas < 0) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException("replicas: " + replicas + " (expected: >= 0)"));
    }
    try {
      return CompletableFuture.runAsync(
          () -> {
            pool.asked = true;
            pool.scaleTo(replicas);
          },
          loop);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new IllegalStateException("local scaler: closed"));
    }
  }

  /** Always: local mode sends every request through the activator. */
  @Override
  public CompletionStage<Boolean> activatorInPath(RevisionKey key) {
    return CompletableFuture.completedFuture(true);
  }

  @Override
  public void addReadyPodsListener(ReadyPodsListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public void removeReadyPodsListener(ReadyPodsListener listener) {
    listeners.remove(listener);
  }

  /** The pods of {@code key} as last published; {@code null} for an unknown revision. */
  RevisionPods pods(RevisionKey key) {
    Pool pool = pools.get(key);
    return pool == null ? null : pool.status;
  }

  /** Processes of pods that have not been seen to end yet (every app and queue-proxy started). */
  Set<ProcessHandle> liveProcesses() {
    return Set.copyOf(live);
  }

  /**
   * Stops every pod (queue-proxies drain for up to {@link #SHUTDOWN_DRAIN}, apps get {@link
   * #APP_STOP_GRACE}) and kills whatever still runs after that. Blocks until done.
   */
  @Override
  public void close() {
    if (!closing) {
      closing = true;
      run(
          () -> {
            for (Pool pool : pools.values()) {
              pool.stopAll();
            }
            checkAllStopped();
          });
      Duration bound = SHUTDOWN_DRAIN.plus(APP_STOP_GRACE).plusSeconds(5);
      try {
        allStopped.get(bound.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException e) {
        LOG.warn("Pods still running {} after the shutdown began: killing them", bound);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    loop.shutdownNow();
    for (ProcessHandle p : live) {
      ProcessTree.kill(ProcessTree.of(p));
    }
  }

  /** Back-off before the next start after {@code failures} failures in a row. */
  static Duration backoff(int failures) {
    if (failures <= 0) {
      return Duration.ZERO;
    }
    int doublings = Math.min(failures - 1, 30);
    Duration d = FIRST_BACKOFF.multipliedBy(1L << doublings);
    return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
  }

  private void run(Runnable task) {
    try {
      loop.execute(task);
    } catch (RejectedExecutionException e) {
      LOG.debug("local scaler closed, dropping a task", e);
    }
  }

  private void schedule(Runnable task, long delayMillis) {
    try {
      loop.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      LOG.debug("local scaler closed, dropping a task", e);
    }
  }

  private void event(String text) {
    LOG.info(text);
    events.add(text);
  }

  private void warning(String text) {
    LOG.warn(text);
    events.add(text);
  }

  private void checkAllStopped() {
    if (closing && pools.values().stream().allMatch(Pool::empty)) {
      allStopped.complete(null);
    }
  }

  /** The last non-empty line of {@code log}, shortened; empty if there is none. */
  static String lastLine(Path log) {
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
      long start = Math.max(0, f.length() - LOG_TAIL_BYTES);
      byte[] tail = new byte[(int) (f.length() - start)];
      f.seek(start);
      f.readFully(tail);
      List<String> lines = new String(tail, StandardCharsets.UTF_8).lines().toList();
      for (int i = lines.size() - 1; i >= 0; i--) {
        String line = lines.get(i).strip();
        if (!line.isEmpty()) {
          return line.length() > 200 ? line.substring(0, 200) + "..." : line;
        }
      }
    } catch (IOException e) {
      LOG.debug("cannot read {}", log, e);
    }
    return "";
  }

  /** One revision's pods; used on the loop thread only, except {@link #status}. */
  private final class Pool {
    final LocalRevision revision;
    final String name;
    final List<Pod> pods = new ArrayList<>();
    final List<Pod> stopping = new ArrayList<>();
    int desired;
    boolean asked;
    int failures;
    int started;
    int crashes;
    long nextStartNanos;
    boolean startScheduled;
    String problem;
    List<PodEndpoint> publishedEndpoints = List.of();
    volatile RevisionPods status = RevisionPods.NONE;

    Pool(LocalRevision revision) {
      this.revision = revision;
      this.name = revision.displayName();
    }

    boolean empty() {
      return pods.isEmpty() && stopping.isEmpty();
    }

    void scaleTo(int replicas) {
      if (closing) {
        return;
      }
      if (replicas != desired) {
        event(name + ": replicas " + desired + " -> " + replicas);
        desired = replicas;
      }
      reconcile();
    }

    /** Starts or stops pods until as many as desired are not stopping. */
    void reconcile() {
      if (closing || launcher == null) {
        return;
      }
      if (pods.size() > desired) {
        List<Pod> victims = new ArrayList<>(pods);
        // As a ReplicaSet: pods that are not ready first, then the youngest.
        victims.sort(
            Comparator.comparing((Pod p) -> p.state == Pod.State.READY)
                .thenComparing(p -> -p.startNanos));
        for (Pod p : victims.subList(0, pods.size() - desired)) {
          stop(p, drainBound(), "scaled down");
        }
      } else if (pods.size() < desired) {
        long wait = nextStartNanos - System.nanoTime();
        if (wait > 0) {
          if (!startScheduled) {
            startScheduled = true;
            schedule(
                () -> {
                  startScheduled = false;
                  reconcile();
                },
                TimeUnit.NANOSECONDS.toMillis(wait) + 1);
          }
        } else {
          int missing = desired - pods.size();
          // While failing with nothing ready, one pod at a time.
          boolean cautious = failures > 0 && count(Pod.State.READY) == 0;
          int n = cautious ? (count(Pod.State.STARTING) == 0 ? 1 : 0) : missing;
          for (int i = 0; i < n; i++) {
            startPod();
          }
        }
      }
      publish();
    }

    void startPod() {
      String podName = revision.key().name() + "-" + podSequence.incrementAndGet();
      int appPort = -1;
      int servingPort = -1;
      Pod pod;
      try {
        appPort = ports.allocate();
        servingPort = ports.allocate();
        pod = launcher.launch(revision, podName, appPort, servingPort);
      } catch (IOException | RuntimeException e) {
        ports.release(appPort);
        ports.release(servingPort);
        failed(podName, "cannot be started: " + e.getMessage(), "", false);
        return;
      }
      started++;
      pods.add(pod);
      live.add(pod.app.toHandle());
      live.add(pod.queueProxy.toHandle());
      pod.app.onExit().thenRunAsync(() -> exited(pod, pod.app), loop);
      pod.queueProxy.onExit().thenRunAsync(() -> exited(pod, pod.queueProxy), loop);
      // Without its app, the queue-proxy could only answer 502s. It goes at once, from the thread
      // that saw the app end, before the activator hears of the change: requests sent to it
      // meanwhile fail to connect, which the activator retries on another pod. (Stopped pods'
      // apps end after their queue-proxy: then this does nothing.)
      pod.app.onExit().thenRun(() -> pod.queueProxy.destroyForcibly());
      event(
          name
              + ": pod "
              + podName
              + " starting (app port "
              + appPort
              + ", queue-proxy port "
              + servingPort
              + ")");
      probe(pod);
    }

    void probe(Pod pod) {
      if (pod.state == Pod.State.STOPPING || closing) {
        return;
      }
      prober.probe(pod.servingPort).thenAcceptAsync(ok -> probed(pod, ok), loop);
    }

    void probed(Pod pod, boolean ok) {
      if (pod.state == Pod.State.STOPPING || closing) {
        return;
      }
      long now = System.nanoTime();
      if (ok) {
        if (pod.state != Pod.State.READY) {
          boolean first = pod.readyNanos == 0;
          pod.state = Pod.State.READY;
          pod.readyNanos = now;
          event(
              name
                  + ": pod "
                  + pod.name
                  + (first ? " ready after " + seconds(now - pod.startNanos) : " ready again"));
          problem = null;
          nextStartNanos = 0; // the app works: start the rest without waiting
          reconcile();
        } else if (failures > 0 && now - pod.readyNanos >= STABLE.toNanos()) {
          failures = 0;
        }
        pod.recordAppTree();
        schedule(() -> probe(pod), READY_PROBE_INTERVAL_MS);
      } else {
        if (pod.state == Pod.State.READY) {
          pod.state = Pod.State.UNREADY;
          warning(name + ": pod " + pod.name + " no longer ready");
          publish();
        }
        schedule(() -> probe(pod), RETRY_PROBE_INTERVAL_MS);
      }
    }

    /** A process of {@code pod} ended; unexpected unless the pod is stopping. */
    void exited(Pod pod, Process process) {
      if (pod.state == Pod.State.STOPPING) {
        return; // the stop sequence follows its processes itself
      }
      long now = System.nanoTime();
      boolean ranStably = pod.readyNanos != 0 && now - pod.readyNanos >= STABLE.toNanos();
      // When the app died first, its queue-proxy was killed for it: the app is what failed.
      boolean appDied = process == pod.app || !pod.app.isAlive();
      Process dead = appDied ? pod.app : process;
      String tail = lastLine(appDied ? pod.appLog : pod.queueProxyLog);
      stop(pod, appDied ? Duration.ZERO : drainBound(), "exited");
      failed(
          pod.name,
          (appDied ? "app" : "queue-proxy")
              + " exited with code "
              + dead.exitValue()
              + (pod.readyNanos == 0 ? " before it was ready" : ""),
          tail,
          ranStably);
    }

    /**
     * A pod failed: the next one starts after the back-off. A failure after a stable run starts a
     * new count.
     */
    void failed(String podName, String what, String tail, boolean afterStableRun) {
      crashes++;
      failures = afterStableRun ? 1 : failures + 1;
      Duration delay = backoff(failures);
      nextStartNanos = System.nanoTime() + delay.toNanos();
      problem =
          (failures >= CRASH_LOOP ? "app keeps crashing: " : "")
              + "pod "
              + podName
              + " "
              + what
              + (failures > 1 ? " (" + failures + " failures in a row)" : "")
              + (tail.isEmpty() ? "" : ": " + tail);
      warning(
          name
              + ": "
              + problem
              + "; next pod in "
              + seconds(delay.toNanos())
              + " (logs in "
              + launcher.logDir()
              + ")");
      reconcile();
    }

    /**
     * Takes {@code pod} out of the endpoints, then stops the queue-proxy (SIGTERM, SIGKILL after
     * {@code drain}; at once when {@code drain} is zero), then the app.
     */
    void stop(Pod pod, Duration drain, String why) {
      pods.remove(pod);
      stopping.add(pod);
      pod.state = Pod.State.STOPPING;
      publish(); // out of the endpoints before the queue-proxy hears anything
      if (!why.endsWith("exited")) {
        event(name + ": pod " + pod.name + " stopping (" + why + ")");
      }
      ScheduledFuture<?> kill;
      if (drain.isZero()) {
        pod.queueProxy.toHandle().destroyForcibly();
        kill = null;
      } else {
        pod.queueProxy.toHandle().destroy(); // SIGTERM: the queue-proxy drains
        kill =
            loop.schedule(
                () -> ProcessTree.kill(List.of(pod.queueProxy.toHandle())),
                drain.toMillis(),
                TimeUnit.MILLISECONDS);
      }
      pod.queueProxy
          .onExit()
          .thenRunAsync(
              () -> {
                if (kill != null) {
                  kill.cancel(false);
                }
                stopApp(pod);
              },
              loop);
    }

    void stopApp(Pod pod) {
      List<ProcessHandle> tree = pod.appTree();
      ProcessTree.terminate(tree);
      ScheduledFuture<?> kill =
          loop.schedule(
              () -> ProcessTree.kill(tree), APP_STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      CompletableFuture.allOf(
              tree.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new))
          .thenRunAsync(
              () -> {
                kill.cancel(false);
                gone(pod, tree);
              },
              loop);
    }

    void gone(Pod pod, List<ProcessHandle> tree) {
      stopping.remove(pod);
      ports.release(pod.appPort);
      ports.release(pod.servingPort);
      live.remove(pod.queueProxy.toHandle());
      tree.forEach(live::remove);
      event(name + ": pod " + pod.name + " stopped");
      publish();
      checkAllStopped();
    }

    void stopAll() {
      desired = 0;
      for (Pod p : List.copyOf(pods)) {
        stop(p, SHUTDOWN_DRAIN, "shutting down");
      }
    }

    /** Knative's grace period: the queue-proxy's quiet period and drain, plus a margin. */
    Duration drainBound() {
      long timeout = revision.settings().timeoutSeconds();
      return Duration.ofSeconds((timeout > 0 ? timeout : 300) + 10);
    }

    int count(Pod.State state) {
      int n = 0;
      for (Pod p : pods) {
        if (p.state == state) {
          n++;
        }
      }
      return n;
    }

    /** Tells the activator, the listeners and the status view what changed. */
    void publish() {
      List<PodEndpoint> eps = pods.stream().map(Pod::endpoint).toList();
      if (!eps.equals(publishedEndpoints)) {
        publishedEndpoints = eps;
        endpoints.setEndpoints(revision.key(), eps);
      }
      int ready = count(Pod.State.READY);
      boolean readyChanged = ready != status.ready();
      List<RevisionPods.PodInfo> infos = new ArrayList<>();
      for (Pod p : pods) {
        infos.add(RevisionPods.PodInfo.of(p));
      }
      for (Pod p : stopping) {
        infos.add(RevisionPods.PodInfo.of(p));
      }
      status =
          new RevisionPods(
              desired,
              ready,
              count(Pod.State.STARTING) + count(Pod.State.UNREADY),
              stopping.size(),
              started,
              crashes,
              failures,
              problem,
              infos);
      if (readyChanged) {
        for (ReadyPodsListener l : listeners) {
          try {
            l.readyPodsChanged(revision.key(), ready);
          } catch (RuntimeException e) {
            LOG.warn("A ready-pods listener failed", e);
          }
        }
      }
    }
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
  }
}
