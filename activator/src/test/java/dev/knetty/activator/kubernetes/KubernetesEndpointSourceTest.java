package dev.knetty.activator.kubernetes;

import static dev.knetty.activator.kubernetes.MockApiServer.deployment;
import static dev.knetty.activator.kubernetes.MockApiServer.endpoint;
import static dev.knetty.activator.kubernetes.MockApiServer.ready;
import static dev.knetty.activator.kubernetes.MockApiServer.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.knetty.activator.endpoints.EndpointSource;
import dev.knetty.activator.endpoints.PodEndpoint;
import dev.knetty.activator.endpoints.RevisionEndpoints;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.RevisionDefaults;
import dev.knetty.common.config.RevisionSettings;
import dev.knetty.common.kubernetes.KnettyKeys;
import dev.knetty.common.proxy.UpstreamTarget;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link KubernetesEndpointSource} against fabric8's mock API server; one namespace per test. */
class KubernetesEndpointSourceTest {

  private static final String PRIVATE = KnettyKeys.SERVICE_TYPE_PRIVATE;
  private static final String PUBLIC = KnettyKeys.SERVICE_TYPE_PUBLIC;
  private static final String MY_IP = "10.1.0.2";
  private static final RevisionSettings DEFAULTS = new RevisionSettings(0, 300, 0, 0, 8080);

  static MockApiServer api;

  KubernetesEndpointSource source;
  final Recorder recorder = new Recorder();

  /** What the source reported, as the activator would hold it. */
  static final class Recorder implements EndpointSource.Listener {
    final Map<RevisionKey, RevisionEndpoints> revisions = new ConcurrentHashMap<>();
    final List<RevisionKey> removed = new CopyOnWriteArrayList<>();

    @Override
    public void upsert(RevisionEndpoints revision) {
      revisions.put(revision.revision(), revision);
    }

    @Override
    public void remove(RevisionKey revision) {
      revisions.remove(revision);
      removed.add(revision);
    }
  }

  @BeforeAll
  static void startApi() {
    api = new MockApiServer();
  }

  @AfterAll
  static void stopApi() {
    api.close();
  }

  @AfterEach
  void closeSource() {
    if (source != null) {
      source.close();
    }
  }

  private static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(60)).ignoreExceptions();
  }

  private KubernetesEndpointSource start(String watchNamespace) {
    source =
        new KubernetesEndpointSource(
            api.client(),
            new KubernetesSourceConfig(
                MY_IP, watchNamespace, RevisionDefaults.defaults(), Duration.ofSeconds(60)));
    source.start(recorder);
    source.awaitSynced();
    return source;
  }

  private RevisionEndpoints revision(String ns, String name) {
    return recorder.revisions.get(new RevisionKey(ns, name));
  }

  private static PodEndpoint pod(String ip, int port, boolean ready, boolean terminating) {
    return new PodEndpoint(UpstreamTarget.of(ip, port), ready, terminating);
  }

  @Test
  void whatExistsAtStartIsDeliveredBeforeSynced() {
    api.apply(deployment("t1", "hello", "hello-1"));
    api.apply(
        slice(
            "t1",
            "hello-1-private-abc",
            "hello-1",
            PRIVATE,
            "http",
            8012,
            List.of(ready("10.0.0.1"))));

    start("t1");

    assertThat(source.synced()).isTrue();
    assertThat(revision("t1", "hello-1").endpoints())
        .containsExactly(pod("10.0.0.1", 8012, true, false));
    assertThat(revision("t1", "hello-1").settings()).isEqualTo(DEFAULTS);
  }

  @Test
  void readyPodsAppearAndDisappearAndNotReadyOnesAreNotReady() {
    start("t2");
    api.apply(deployment("t2", "hello", "hello-1"));
    eventually().until(() -> revision("t2", "hello-1") != null);
    assertThat(revision("t2", "hello-1").endpoints()).isEmpty();

    api.apply(
        slice(
            "t2",
            "hello-1-private-abc",
            "hello-1",
            PRIVATE,
            "http",
            8012,
            List.of(
                ready("10.0.0.1"),
                endpoint("10.0.0.2", false, false, false),
                endpoint("10.0.0.3", null, null, null))));
    eventually()
        .untilAsserted(
            () ->
                assertThat(revision("t2", "hello-1").endpoints())
                    .containsExactly(
                        pod("10.0.0.1", 8012, true, false),
                        pod("10.0.0.2", 8012, false, false),
                        pod("10.0.0.3", 8012, true, false))); // unset conditions count as ready

    api.apply(
        slice(
            "t2",
            "hello-1-private-abc",
            "hello-1",
            PRIVATE,
            "http",
            8012,
            List.of(ready("10.0.0.2"))));
    eventually()
        .untilAsserted(
            () ->
                assertThat(revision("t2", "hello-1").endpoints())
                    .containsExactly(pod("10.0.0.2", 8012, true, false)));

    api.client().apps().deployments().inNamespace("t2").withName("hello").delete();
    eventually().until(() -> recorder.removed.contains(new RevisionKey("t2", "hello-1")));
    assertThat(revision("t2", "hello-1")).isNull();
  }

  @Test
  void terminatingEndpointsGetNoNewRequestsEvenWhileServing() {
    start("t3");
    api.apply(deployment("t3", "hello", "hello-1"));
    api.apply(
        slice(
            "t3",
            "hello-1-private-abc",
            "hello-1",
            PRIVATE,
            "http",
            8012,
            List.of(
                endpoint("10.0.0.1", false, true, true), // draining: still serving
                endpoint("10.0.0.2", false, false, true),
                ready("10.0.0.3"))));

    eventually()
        .untilAsserted(
            () ->
                assertThat(revision("t3", "hello-1").endpoints())
                    .containsExactly(
                        pod("10.0.0.1", 8012, false, true),
                        pod("10.0.0.2", 8012, false, true),
                        pod("10.0.0.3", 8012, true, false)));
  }

  @Test
  void slicesAreMergedByAddressAndH2cRevisionsUseTheirH2cPort() {
    start("t4");
    api.apply(deployment("t4", "hello", "hello-1"));
    api.apply(deployment("t4", "grpc", "grpc-1"));
    api.apply(
        slice(
            "t4",
            "hello-1-private-a",
            "hello-1",
            PRIVATE,
            "http",
            8012,
            List.of(ready("10.0.0.1"), endpoint("10.0.0.2", false, false, false))));
    // Re-slicing: the pod moved to another slice and is ready there.
    api.apply(
        slice(
            "t4",
            "hello-1-private-b",
            "hello-1",
            PRIVATE,
            "http",
            8012,
            List.of(ready("10.0.0.2"))));
    api.apply(
        slice(
            "t4",
            "grpc-1-private-a",
            "grpc-1",
            PRIVATE,
            "http2",
            8013,
            List.of(ready("10.0.0.9"))));

    eventually()
        .untilAsserted(
            () -> {
              assertThat(revision("t4", "hello-1").endpoints())
                  .containsExactly(
                      pod("10.0.0.1", 8012, true, false), pod("10.0.0.2", 8012, true, false));
              assertThat(revision("t4", "grpc-1").endpoints())
                  .containsExactly(pod("10.0.0.9", 8013, true, false));
            });
  }

  @Test
  void settingsComeFromTheAnnotationsAndBadOnesKeepTheLastGood() {
    start("t5");
    api.apply(
        deployment(
            "t5",
            "hello",
            "hello-1",
            KnettyKeys.CONTAINER_CONCURRENCY,
            "5",
            KnettyKeys.TIMEOUT_SECONDS,
            "60",
            KnettyKeys.RESPONSE_START_TIMEOUT_SECONDS,
            "20",
            KnettyKeys.IDLE_TIMEOUT_SECONDS,
            "10",
            KnettyKeys.USER_PORT,
            "9999"));
    eventually()
        .untilAsserted(
            () ->
                assertThat(revision("t5", "hello-1").settings())
                    .isEqualTo(new RevisionSettings(5, 60, 20, 10, 8080)));

    api.apply(
        deployment(
            "t5",
            "hello",
            "hello-1",
            KnettyKeys.CONTAINER_CONCURRENCY,
            "lots",
            KnettyKeys.TIMEOUT_SECONDS,
            "60"));
    // A change that is good again, on another revision, proves the bad one was processed.
    api.apply(deployment("t5", "other", "other-1", KnettyKeys.CONTAINER_CONCURRENCY, "7"));
    eventually().until(() -> revision("t5", "other-1") != null);
    assertThat(revision("t5", "hello-1").settings())
        .isEqualTo(new RevisionSettings(5, 60, 20, 10, 8080));

    api.apply(deployment("t5", "hello", "hello-1", KnettyKeys.CONTAINER_CONCURRENCY, "3"));
    eventually()
        .untilAsserted(
            () ->
                assertThat(revision("t5", "hello-1").settings())
                    .isEqualTo(new RevisionSettings(3, 300, 0, 0, 8080)));

    // Bad from the start: nothing good to keep, so the defaults (as the webhook gave the pods).
    api.apply(deployment("t5", "bad", "bad-1", KnettyKeys.TIMEOUT_SECONDS, "100000"));
    eventually()
        .untilAsserted(() -> assertThat(revision("t5", "bad-1").settings()).isEqualTo(DEFAULTS));
  }

  @Test
  void theActivatorIndexComesFromThePublicSliceAndStaysWhenThisActivatorLeavesIt() {
    start("t6");
    api.apply(deployment("t6", "hello", "hello-1"));
    eventually().until(() -> revision("t6", "hello-1") != null);
    assertThat(revision("t6", "hello-1").activatorIndex()).isEqualTo(-1);

    // Proxy mode: the autoscaler's subset. Sorted as strings: 10.1.0.10 < 10.1.0.2 < 10.1.0.3.
    api.apply(
        slice(
            "t6",
            "hello-1",
            "hello-1",
            PUBLIC,
            "http",
            8012,
            List.of(
                ready("10.1.0.3"),
                ready(MY_IP),
                ready("10.1.0.10"),
                endpoint("10.1.0.1", false, false, false))));
    eventually()
        .untilAsserted(
            () -> {
              RevisionEndpoints r = revision("t6", "hello-1");
              assertThat(r.activatorIndex()).isEqualTo(1);
              assertThat(r.activatorCount()).isEqualTo(3);
            });

    // Serve mode: the pods; this activator is out of the path and keeps its index (Knative).
    api.apply(slice("t6", "hello-1", "hello-1", PUBLIC, "http", 8012, List.of(ready("10.0.0.1"))));
    api.apply(
        slice(
            "t6",
            "hello-1-private-a",
            "hello-1",
            PRIVATE,
            "http",
            8012,
            List.of(ready("10.0.0.1"))));
    eventually().until(() -> revision("t6", "hello-1").endpoints().size() == 1);
    assertThat(revision("t6", "hello-1").activatorIndex()).isEqualTo(1);
    assertThat(revision("t6", "hello-1").activatorCount()).isEqualTo(3);

    api.apply(
        slice(
            "t6",
            "hello-1",
            "hello-1",
            PUBLIC,
            "http",
            8012,
            List.of(ready(MY_IP), ready("10.1.0.3"))));
    eventually()
        .untilAsserted(
            () -> {
              RevisionEndpoints r = revision("t6", "hello-1");
              assertThat(r.activatorIndex()).isEqualTo(0);
              assertThat(r.activatorCount()).isEqualTo(2);
            });
  }

  @Test
  void onlyTheWatchedNamespaceIsSeen() {
    start("t7");
    api.apply(deployment("t7-other", "hello", "hello-1"));
    api.apply(deployment("t7", "hello", "hello-2"));

    eventually().until(() -> revision("t7", "hello-2") != null);
    assertThat(recorder.revisions.keySet()).containsExactly(new RevisionKey("t7", "hello-2"));
  }

  @Test
  void objectsWithoutAValidRevisionLabelAreIgnored() {
    start("t8");
    api.apply(deployment("t8", "bad", "Not_A_Label"));
    api.apply(deployment("t8", "hello", "hello-1"));

    eventually().until(() -> revision("t8", "hello-1") != null);
    assertThat(recorder.revisions).hasSize(1);
  }

  @Test
  void theConfigurationIsCheckedAndReadFromTheEnvironment() {
    KubernetesSourceConfig c =
        KubernetesSourceConfig.fromEnvironment(
            Map.of(
                "KNETTY_WATCH_NAMESPACE", "apps",
                "KNETTY_CACHE_SYNC_TIMEOUT_SECONDS", "7",
                "KNETTY_REVISION_TIMEOUT_SECONDS", "400"),
            MY_IP);

    assertThat(c.podIp()).isEqualTo(MY_IP);
    assertThat(c.watchNamespace()).isEqualTo("apps");
    assertThat(c.allNamespaces()).isFalse();
    assertThat(c.cacheSyncTimeout()).isEqualTo(Duration.ofSeconds(7));
    assertThat(c.revisionDefaults().revisionTimeoutSeconds()).isEqualTo(400);
    assertThat(KubernetesSourceConfig.fromEnvironment(Map.of(), MY_IP).allNamespaces()).isTrue();
    assertThatThrownBy(() -> KubernetesSourceConfig.fromEnvironment(Map.of(), ""))
        .hasMessageStartingWith("podIp:  (expected:");
    assertThatThrownBy(
            () ->
                KubernetesSourceConfig.fromEnvironment(
                    Map.of("KNETTY_CACHE_SYNC_TIMEOUT_SECONDS", "0"), MY_IP))
        .hasMessage("KNETTY_CACHE_SYNC_TIMEOUT_SECONDS: 0 (expected: > 0)");
    assertThatThrownBy(
            () ->
                KubernetesSourceConfig.fromEnvironment(
                    Map.of("KNETTY_REVISION_TIMEOUT_SECONDS", "1000"), MY_IP))
        .hasMessageStartingWith("KNETTY_REVISION_TIMEOUT_SECONDS: 1000 (expected:");
  }
}
