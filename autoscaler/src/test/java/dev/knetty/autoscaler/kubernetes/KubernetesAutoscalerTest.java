package dev.knetty.autoscaler.kubernetes;

import static dev.knetty.autoscaler.kubernetes.TestObjects.G;
import static dev.knetty.autoscaler.kubernetes.TestObjects.activators;
import static dev.knetty.autoscaler.kubernetes.TestObjects.create;
import static dev.knetty.autoscaler.kubernetes.TestObjects.deployment;
import static dev.knetty.autoscaler.kubernetes.TestObjects.kmpService;
import static dev.knetty.autoscaler.kubernetes.TestObjects.pods;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.knetty.autoscaler.ManualScheduler;
import dev.knetty.autoscaler.RevisionSnapshot;
import dev.knetty.autoscaler.SksMode;
import dev.knetty.autoscaler.server.AutoscalerServerConfig;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.metrics.ProcessMetrics;
import dev.knetty.common.net.Transport;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Whole autoscaler replicas on a mock cluster: a manual scheduler and clock for the autoscaling,
 * real threads and the mock's watches for everything Kubernetes.
 */
class KubernetesAutoscalerTest extends OnMockCluster {

  private static final long S = 1_000_000_000L;
  private static final long T0 = 1_700_000_000L * S;

  private final List<Replica> replicas = new ArrayList<>();

  @AfterEach
  void closeReplicas() {
    replicas.forEach(Replica::close);
  }

  /** One autoscaler replica: its own client (user agent = name), scheduler and clock. */
  private final class Replica implements AutoCloseable {
    final String name;
    final KubernetesClient client;
    final ManualScheduler sched = new ManualScheduler(T0);
    final ProcessMetrics metrics = ProcessMetrics.create();
    final AtomicInteger fatal = new AtomicInteger();
    final KubernetesAutoscaler autoscaler;

    Replica(String namespace, String name, String ip) {
      this.name = name;
      this.client = cluster.client(name);
      this.autoscaler =
          KubernetesAutoscaler.builder(
                  client,
                  TestObjects.config(namespace, name, ip),
                  AutoscalerServerConfig.builder()
                      .host("127.0.0.1")
                      .kmpPort(0)
                      .adminPort(0)
                      .metricsPort(AutoscalerServerConfig.NO_METRICS)
                      .eventLoopThreads(1)
                      .podName(name)
                      .build())
              .metrics(metrics)
              .scheduler(sched, sched)
              .transport(Transport.select(Transport.Kind.NIO))
              .onFatal(fatal::incrementAndGet)
              .probeTargets((key, h2c) -> activator.uri())
              .build();
      replicas.add(this);
      autoscaler.start();
    }

    RevisionSnapshot snapshot(RevisionKey key) {
      return autoscaler.server().multiscaler().snapshot(key).orElseThrow();
    }

    /** A queue-proxy reporting {@code concurrency} every second of the manual clock. */
    ScheduledFuture<?> report(RevisionKey key, double concurrency) {
      return sched.scheduleAtFixedRate(
          () -> autoscaler.server().multiscaler().record(key, concurrency, 0, concurrency, 0),
          0,
          1,
          TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      autoscaler.close();
      client.close();
      metrics.close();
    }
  }

  private Replica leader(String namespace, String name, String ip) {
    Replica r = new Replica(namespace, name, ip);
    eventually().until(r.autoscaler::leading);
    return r;
  }

  private static int replicas(String namespace, String deployment) {
    return admin
        .apps()
        .deployments()
        .inNamespace(namespace)
        .withName(deployment)
        .get()
        .getSpec()
        .getReplicas();
  }

  private static List<String> publicAddresses(String namespace, String revision) {
    EndpointSlice s =
        admin.discovery().v1().endpointSlices().inNamespace(namespace).withName(revision).get();
    return s == null
        ? List.of()
        : s.getEndpoints().stream().map(e -> e.getAddresses().get(0)).sorted().toList();
  }

  @Test
  void scalesFromTheStatsAndServesOnceItHasThePods() {
    String ns = "e2e";
    RevisionKey key = new RevisionKey(ns, "hello-1");
    activators(admin, ns, List.of("10.1.0.1", "10.1.0.2"));
    pods(admin, ns, "hello-1", List.of("10.2.0.1"), List.of());
    create(
        admin,
        deployment(
            ns, "hello", "hello-1", 1, G + "target", "10", G + "target-burst-capacity", "0"));
    Replica a = leader(ns, "a", "10.0.0.1");
    eventually().until(() -> a.autoscaler.server().multiscaler().contains(key));
    assertThat(a.autoscaler.ready()).isTrue();
    // No burst capacity required and a ready pod: the pods take the traffic.
    eventually().until(() -> publicAddresses(ns, "hello-1").equals(List.of("10.2.0.1")));

    a.report(key, 35); // 35 / (10 x 70 %): 5 pods' worth
    a.sched.advance(Duration.ofSeconds(2));

    eventually().until(() -> replicas(ns, "hello") == 5);
    assertThat(cluster.scaleWrites(ns, "hello"))
        .singleElement()
        .satisfies(w -> assertThat(w.method()).isEqualTo("PUT"));
    assertThat(a.snapshot(key).mode()).isEqualTo(SksMode.SERVE);
    pods(admin, ns, "hello-1", List.of("10.2.0.1", "10.2.0.2", "10.2.0.3"), List.of("10.2.0.4"));
    eventually().until(() -> publicAddresses(ns, "hello-1").size() == 3);
    a.sched.advance(Duration.ofSeconds(2));
    assertThat(a.snapshot(key).readyPods()).isEqualTo(3);
    assertThat(cluster.writesBy("a")).noneMatch(w -> w.method().equals("DELETE"));
  }

  @Test
  void goesToZeroOnlyOnceTheActivatorAnswersThroughThePublicService() {
    String ns = "zero";
    RevisionKey key = new RevisionKey(ns, "idle-1");
    activators(admin, ns, List.of("10.1.0.1", "10.1.0.2"));
    pods(admin, ns, "idle-1", List.of("10.2.0.1"), List.of());
    create(admin, deployment(ns, "idle", "idle-1", 1, G + "target-burst-capacity", "0"));
    activator.answering.set(false);
    Replica a = leader(ns, "a", "10.0.0.1");
    eventually().until(() -> a.autoscaler.server().multiscaler().contains(key));
    a.report(key, 0);

    // A stable window without traffic: inactive, proxied; the probe is refused, the pod stays.
    eventually()
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              a.sched.advance(Duration.ofSeconds(1));
              return a.snapshot(key).mode() == SksMode.PROXY
                  && publicAddresses(ns, "idle-1").size() == 2
                  && activator.probes.get() > 3;
            });
    a.sched.advance(Duration.ofSeconds(60));
    assertThat(replicas(ns, "idle")).isEqualTo(1);
    assertThat(a.snapshot(key).active()).isEqualTo("Inactive");

    activator.answering.set(true);
    eventually()
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              a.sched.advance(Duration.ofSeconds(1));
              return replicas(ns, "idle") == 0;
            });
  }

  @Test
  void aNewLeaderResumesWithoutScalingAnythingDown() {
    String ns = "resume";
    RevisionKey busy = new RevisionKey(ns, "busy-1");
    RevisionKey quiet = new RevisionKey(ns, "quiet-1");
    pods(admin, ns, "busy-1", List.of("10.2.0.1", "10.2.0.2", "10.2.0.3"), List.of());
    pods(admin, ns, "quiet-1", List.of("10.2.1.1"), List.of());
    create(admin, deployment(ns, "busy", "busy-1", 3, G + "min-scale", "1"));
    create(admin, deployment(ns, "quiet", "quiet-1", 1));

    Replica b = leader(ns, "b", "10.0.0.2");
    eventually()
        .until(
            () ->
                b.autoscaler.server().multiscaler().contains(busy)
                    && b.autoscaler.server().multiscaler().contains(quiet));
    // Created with the ready pods of now: 3, so in panic, holding them.
    assertThat(b.snapshot(busy).readyPods()).isEqualTo(3);
    assertThat(b.snapshot(busy).active()).isEqualTo("Active");
    b.report(busy, 1); // far less than 3 pods' worth; quiet gets no stats at all
    b.sched.advance(Duration.ofSeconds(50));
    assertThat(b.snapshot(busy).panicMode()).isTrue();
    assertThat(b.snapshot(busy).desiredScale()).isEqualTo(3);

    // Without stats a revision is never decided, so never scaled to zero.
    b.sched.advance(Duration.ofMinutes(15));
    assertThat(b.snapshot(quiet).valid()).isFalse();
    assertThat(replicas(ns, "quiet")).isEqualTo(1);
    assertThat(cluster.scaleWrites(ns, "quiet")).isEmpty();
    // The busy one scales down only after a stable window without panic, as usual.
    eventually().until(() -> replicas(ns, "busy") < 3);
  }

  @Test
  void followersWriteNothingAndTakeOverWhenTheLeaderStops() {
    String ns = "ha";
    RevisionKey key = new RevisionKey(ns, "hello-1");
    Service kmp = kmpService(admin, ns);
    activators(admin, ns, List.of("10.1.0.1", "10.1.0.2"));
    pods(admin, ns, "hello-1", List.of("10.2.0.1"), List.of());
    create(admin, deployment(ns, "hello", "hello-1", 1));
    Replica a = leader(ns, "a", "10.0.0.1");
    Replica b = new Replica(ns, "b", "10.0.0.2");
    eventually().until(() -> publicAddresses(ns, "hello-1").size() == 2);
    eventually().until(() -> kmpAddresses(ns).equals(List.of("10.0.0.1")));
    EndpointSlice kmpSlice =
        admin
            .discovery()
            .v1()
            .endpointSlices()
            .inNamespace(ns)
            .withName("knetty-autoscaler-leader")
            .get();
    assertThat(kmpSlice.getPorts().get(0).getPort()).isEqualTo(a.autoscaler.server().kmpPort());
    assertThat(kmpSlice.getPorts().get(0).getName()).isEqualTo("kmp");
    assertThat(kmpSlice.getMetadata().getOwnerReferences().get(0).getUid())
        .isEqualTo(kmp.getMetadata().getUid());

    // The follower is ready, watches, and writes nothing (its access check aside).
    eventually().until(b.autoscaler::ready);
    assertThat(b.autoscaler.leading()).isFalse();
    assertThat(b.autoscaler.server().multiscaler().contains(key)).isFalse();
    assertThat(cluster.writesBy("b"))
        .allSatisfy(w -> assertThat(w.path()).contains("selfsubjectaccessreviews"));

    // A graceful stop of the leader hands over at once: b leads, points KMP at itself, acts.
    a.close();
    eventually().until(b.autoscaler::leading);
    eventually().until(() -> kmpAddresses(ns).equals(List.of("10.0.0.2")));
    eventually().until(() -> b.autoscaler.server().multiscaler().contains(key));
    Lease lease = admin.leases().inNamespace(ns).withName("knetty-autoscaler-leader").get();
    assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("b");
    admin.discovery().v1().endpointSlices().inNamespace(ns).withName("hello-1").delete();
    eventually().until(() -> publicAddresses(ns, "hello-1").size() == 2);
    assertThat(a.fatal.get()).isZero();
    assertThat(b.fatal.get()).isZero();
  }

  @Test
  void aLeaderCutOffFromTheApiServerIsReplacedOnceItsLeaseExpires() {
    String ns = "cutoff";
    RevisionKey key = new RevisionKey(ns, "hello-1");
    pods(admin, ns, "hello-1", List.of("10.2.0.1", "10.2.0.2"), List.of());
    create(admin, deployment(ns, "hello", "hello-1", 2));
    Replica a = leader(ns, "a", "10.0.0.1");
    Replica b = new Replica(ns, "b", "10.0.0.2");
    eventually().until(b.autoscaler::ready);

    a.client.close(); // no renewal: a steps down after its renew deadline, b waits out the lease

    eventually().until(() -> a.fatal.get() > 0);
    assertThat(a.autoscaler.leading()).isFalse();
    eventually().until(b.autoscaler::leading);
    eventually().until(() -> b.autoscaler.server().multiscaler().contains(key));
    assertThat(b.snapshot(key).readyPods()).isEqualTo(2);
    assertThat(b.snapshot(key).panicMode()).isTrue();
    eventually().until(() -> kmpAddresses(ns).equals(List.of("10.0.0.2")));
  }

  @Test
  void aLeaderThatLosesItsLeaseStopsActuatingAndExits() {
    String ns = "lost";
    Replica a = leader(ns, "a", "10.0.0.1");
    admin
        .leases()
        .inNamespace(ns)
        .withName("knetty-autoscaler-leader")
        .edit(
            l -> {
              l.getSpec().setHolderIdentity("someone-else");
              l.getSpec().setRenewTime(ZonedDateTime.now().plusMinutes(1));
              l.getSpec().setLeaseDurationSeconds(600);
              return l;
            });

    eventually().until(() -> a.fatal.get() == 1);
    assertThat(a.autoscaler.leading()).isFalse();
  }

  @Test
  void withoutLeasePermissionsTheStartFailsNamingThem() {
    MockCluster strict = new MockCluster();
    strict.deny("create");
    try (KubernetesClient client = strict.client("c");
        ProcessMetrics metrics = ProcessMetrics.create()) {
      KubernetesAutoscaler autoscaler =
          KubernetesAutoscaler.builder(
                  client,
                  TestObjects.config("rbac", "c", "10.0.0.3"),
                  AutoscalerServerConfig.builder()
                      .host("127.0.0.1")
                      .kmpPort(0)
                      .adminPort(0)
                      .build())
              .metrics(metrics)
              .build();
      assertThatThrownBy(autoscaler::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith(
              "leader election: this service account may not create coordination.k8s.io leases"
                  + " rbac/knetty-autoscaler-leader");
      autoscaler.close();
    } finally {
      strict.close();
    }
  }

  private static List<String> kmpAddresses(String namespace) {
    EndpointSlice s =
        admin
            .discovery()
            .v1()
            .endpointSlices()
            .inNamespace(namespace)
            .withName("knetty-autoscaler-leader")
            .get();
    return s == null
        ? List.of()
        : s.getEndpoints().stream().map(e -> e.getAddresses().get(0)).toList();
  }
}
