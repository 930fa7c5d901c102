package dev.knetty.autoscaler.kubernetes;

import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectorBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lease-based leader election among the autoscaler replicas (fabric8's {@code LeaderElector} with a
 * {@code LeaseLock}, identity = pod name), the way JOSDK's {@code LeaderElectionManager} runs it:
 *
 * <ul>
 *   <li>{@link #checkAccess} asks the API server (SelfSubjectAccessReview) whether this replica may
 *       get, create and update the Lease, so that missing RBAC fails the start with a clear message
 *       instead of an election that silently never succeeds;
 *   <li>{@code releaseOnCancel} is false so that {@code onStopLeading} always fires;
 *   <li>on start of leadership, {@link Leadership#start()} enables the actuation;
 *   <li>on loss of leadership, {@link Leadership#stop()} stops the actuation synchronously, then
 *       the process exits (status 1) so that Kubernetes restarts it as a clean follower, unless it
 *       is stopping gracefully anyway;
 *   <li>a graceful {@link #close()} of the leader gives the Lease up (holder cleared), so a
 *       follower takes over within a retry period instead of a lease duration.
 * </ul>
 */
final class LeaderElection implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);

  private static final String LEASE_GROUP = "coordination.k8s.io";

  private final KubernetesClient client;
  private final KubernetesConfig config;
  private final Leadership leadership;
  private final Runnable exit;
  private final Runnable stepDown;
  private final Executor executor;
  private volatile boolean closing;
  private CompletableFuture<?> election;

  /**
   * @param exit what losing the leadership does when not closing: exit the process
   * @param stepDown what a leader does on a graceful {@link #close()}, after it stopped actuating
   *     and before it gives the Lease up
   * @param executor runs the election loop
   */
  LeaderElection(
      KubernetesClient client,
      KubernetesConfig config,
      Leadership leadership,
      Runnable exit,
      Runnable stepDown,
      Executor executor) {
    this.client = Objects.requireNonNull(client, "client");
    this.config = Objects.requireNonNull(config, "config");
    this.leadership = Objects.requireNonNull(leadership, "leadership");
    this.exit = Objects.requireNonNull(exit, "exit");
    this.stepDown = Objects.requireNonNull(stepDown, "stepDown");
    this.executor = Objects.requireNonNull(executor, "executor");
  }

  /**
   * Checks that this replica may get, create and update its Lease.
   *
   * @throws IllegalStateException naming what is denied
   */
  void checkAccess() {
    List<String> denied = new ArrayList<>();
    for (String verb : List.of("get", "create", "update")) {
      SelfSubjectAccessReview review =
          new SelfSubjectAccessReviewBuilder()
              .withNewSpec()
              .withNewResourceAttributes()
              .withNamespace(config.namespace())
              .withGroup(LEASE_GROUP)
              .withResource("leases")
              .withVerb(verb)
              .withName("create".equals(verb) ? null : config.leaseName())
              .endResourceAttributes()
              .endSpec()
              .build();
      SelfSubjectAccessReview answer;
      try {
        answer = client.authorization().v1().selfSubjectAccessReview().create(review);
      } catch (KubernetesClientException e) {
        LOG.warn("Cannot check the Lease permissions (going on without): {}", e.getMessage());
        return;
      }
      if (answer.getStatus() == null || !Boolean.TRUE.equals(answer.getStatus().getAllowed())) {
        denied.add(verb);
      }
    }
    if (!denied.isEmpty()) {
      throw new IllegalStateException(
          "leader election: this service account may not "
              + String.join(", ", denied)
              + " "
              + LEASE_GROUP
              + " leases "
              + config.namespace()
              + "/"
              + config.leaseName()
              + " (expected: a Role granting get, create and update on leases, as the chart's"
              + " autoscaler-rbac.yaml does)");
    }
  }

  /** Starts campaigning; the leadership callbacks follow. */
  synchronized void start() {
    LeaderElectionConfig election =
        new LeaderElectionConfig(
            new LeaseLock(config.namespace(), config.leaseName(), config.podName()),
            config.leaseDuration(),
            config.renewDeadline(),
            config.retryPeriod(),
            new LeaderCallbacks(this::startedLeading, this::stoppedLeading, this::newLeader),
            false, // releaseOnCancel: false, so that onStopLeading always fires
            "knetty-autoscaler");
    this.election = new LeaderElectorBuilder(client, executor).withConfig(election).build().start();
    LOG.info(
        "Leader election: {} campaigns for lease {}/{}",
        config.podName(),
        config.namespace(),
        config.leaseName());
  }

  private void startedLeading() {
    LOG.info("Leader election: {} leads, actuating", config.podName());
    leadership.start();
  }

  private void stoppedLeading() {
    leadership.stop(); // first: no write after this point
    if (closing) {
      return;
    }
    LOG.error(
        "Leader election: {} lost the leadership; exiting so that it restarts as a follower",
        config.podName());
    exit.run();
  }

  private void newLeader(String identity) {
    LOG.info("Leader election: the leader is {}", identity);
  }

  /** Stops campaigning; a leader stops actuating and gives its Lease up. Blocks until done. */
  @Override
  public void close() {
    closing = true;
    CompletableFuture<?> e;
    synchronized (this) {
      e = election;
    }
    if (e == null) {
      return;
    }
    boolean wasLeading = leadership.leading();
    e.cancel(true);
    leadership.stop();
    if (wasLeading) {
      stepDown.run();
      release();
    }
  }

  /** Clears the Lease's holder if it is still this replica. */
  private void release() {
    try {
      Lease lease =
          client.leases().inNamespace(config.namespace()).withName(config.leaseName()).get();
      if (lease == null
          || lease.getSpec() == null
          || !config.podName().equals(lease.getSpec().getHolderIdentity())) {
        return;
      }
      lease.getSpec().setHolderIdentity(null);
      lease.getSpec().setLeaseDurationSeconds(1);
      client.leases().inNamespace(config.namespace()).resource(lease).update();
      LOG.info("Leader election: lease {} released", config.leaseName());
    } catch (KubernetesClientException ex) {
      LOG.warn(
          "Leader election: cannot release lease {}, a follower takes over once it expires: {}",
          config.leaseName(),
          ex.getMessage());
    }
  }
}
