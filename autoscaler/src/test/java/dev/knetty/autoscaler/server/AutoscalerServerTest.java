package dev.knetty.autoscaler.server;

import static dev.knetty.autoscaler.server.ServerFixture.S;
import static dev.knetty.autoscaler.server.ServerFixture.T0;
import static dev.knetty.autoscaler.server.ServerFixture.WAIT;
import static dev.knetty.autoscaler.server.ServerFixture.stat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.knetty.autoscaler.InMemoryScaler;
import dev.knetty.autoscaler.RevisionSnapshot;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.kmp.CloseReason;
import dev.knetty.common.kmp.Decision;
import dev.knetty.common.kmp.Decisions;
import dev.knetty.common.kmp.Role;
import dev.knetty.common.kmp.Stat;
import dev.knetty.common.kmp.StatBatch;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The autoscaler server over loopback, with real KMP clients and a manual scheduler. */
class AutoscalerServerTest {

  private static final RevisionKey HELLO = new RevisionKey("default", "hello-00001");
  private static final RevisionKey WORLD = new RevisionKey("default", "world-00002");
  private static final String G = "autoscaling.knative.dev/";

  private final ServerFixture f = new ServerFixture();

  @AfterEach
  void close() {
    f.close();
  }

  private RevisionSnapshot snapshot(RevisionKey key) {
    return f.server.multiscaler().snapshot(key).orElseThrow();
  }

  @Test
  void statsReachTheMultiscalerAndRevisionsShowsThem() throws Exception {
    f.start(null); // the advisory scaler
    f.source.upsert(HELLO, 10, Map.of(G + "target", "5"));
    ServerFixture.Client qp = f.client(Role.QUEUE_PROXY, "hello-00001-pod-a", "10.1.0.1");

    f.report(qp, HELLO, "hello-00001-pod-a", 3); // target 5 x 70%: one pod
    f.sched.advance(Duration.ofSeconds(2)); // one tick

    JsonNode all = f.json("/revisions");
    assertThat(all.get("revisions")).hasSize(1);
    JsonNode rev = all.get("revisions").get(0);
    assertThat(rev.get("revision").asText()).isEqualTo("default/hello-00001");
    assertThat(rev.get("containerConcurrency").asInt()).isEqualTo(10);
    assertThat(rev.get("annotations").get(G + "target").asText()).isEqualTo("5");
    assertThat(rev.get("metric").asText()).isEqualTo("concurrency");
    assertThat(rev.get("valid").asBoolean()).isTrue();
    assertThat(rev.get("observedStable").asDouble()).isPositive();
    assertThat(rev.get("observedPanic").asDouble()).isPositive();
    assertThat(rev.get("desiredScale").asInt()).isEqualTo(1);
    assertThat(rev.get("readyPods").asInt()).isEqualTo(1); // the queue-proxy that reported
    assertThat(rev.get("panicMode").asBoolean()).isFalse();
    assertThat(rev.get("mode").asText()).isIn("Serve", "Proxy");
    assertThat(rev.get("activators").asInt()).isGreaterThanOrEqualTo(2);
    assertThat(rev.get("state").asText()).isIn("Active", "Activating", "Inactive");
    assertThat(rev.has("excessBurstCapacity")).isTrue();
    assertThat(rev.has("replicas")).isTrue();
    assertThat(rev.has("requestedReplicas")).isTrue();

    assertThat(f.json("/revisions/default/hello-00001")).isEqualTo(rev);
    assertThat(f.get(f.server.adminPort(), "/revisions/default/nope").statusCode()).isEqualTo(404);
    assertThat(f.get(f.server.adminPort(), "/revisions/not-a-key").statusCode()).isEqualTo(404);
    assertThat(f.counter("knetty.autoscaler.stats.received")).isEqualTo(1);
    assertThat(f.counter("knetty.autoscaler.kmp.connects", "role", "queue_proxy")).isEqualTo(1);
  }

  @Test
  void metricsShowPerRevisionGaugesUntilTheRevisionIsRemoved() throws Exception {
    f.start(new InMemoryScaler(true));
    f.source.upsert(HELLO, 10, Map.of());
    ServerFixture.Client qp = f.client(Role.QUEUE_PROXY, "hello-00001-pod-a", "10.1.0.1");
    f.report(qp, HELLO, "hello-00001-pod-a", 14);
    f.sched.advance(Duration.ofSeconds(2));

    String tags = "{namespace=\"default\",revision=\"hello-00001\"}";
    String metrics = f.scrape();
    assertThat(metrics)
        .contains("knetty_autoscaler_desired_pods" + tags + " 2")
        .contains("knetty_autoscaler_ready_pods" + tags + " 2") // ready follows replicas
        .contains("knetty_autoscaler_requested_pods" + tags + " 2")
        .contains("knetty_autoscaler_panic_mode" + tags + " 1")
        .contains("knetty_autoscaler_stable_request_concurrency" + tags)
        .contains("knetty_autoscaler_panic_request_concurrency" + tags)
        .contains("knetty_autoscaler_excess_burst_capacity" + tags)
        .contains("knetty_autoscaler_stats_received_total 1")
        .contains("knetty_autoscaler_kmp_connections 1")
        .contains("knetty_autoscaler_kmp_connects_total{role=\"queue_proxy\"} 1")
        .contains("knetty_autoscaler_tick_duration_seconds_count");

    f.source.remove(HELLO);
    assertThat(f.scrape()).doesNotContain(tags);
  }

  @Test
  void statsForUnknownRevisionsAreRejectedAndCounted() {
    f.start(new InMemoryScaler(true));
    f.source.upsert(HELLO, 0, Map.of());
    ServerFixture.Client qp = f.client(Role.QUEUE_PROXY, "pod-a", "10.1.0.1");

    qp.client.send(
        new StatBatch(
            List.of(
                new Stat(WORLD, "pod-a", 1, 3, 0, 3, 0, 1),
                new Stat(HELLO, "pod-a", 1, 1, 0, 1, 0, 1))));
    await().atMost(WAIT).until(() -> f.server.receivedStats() == 2);

    assertThat(f.counter("knetty.autoscaler.stats.rejected", "reason", "unknown_revision"))
        .isEqualTo(1);
    assertThat(f.counter("knetty.autoscaler.stats.received")).isEqualTo(2);
    assertThat(f.server.multiscaler().contains(WORLD)).isFalse();
    assertThat(qp.client.isConnected()).isTrue(); // unknown revisions are no protocol error
  }

  @Test
  void garbageAndAbruptClientsDoNotDisturbAGoodOne() throws Exception {
    f.start(new InMemoryScaler(true));
    f.source.upsert(HELLO, 0, Map.of());
    ServerFixture.Client good = f.client(Role.QUEUE_PROXY, "pod-good", "10.1.0.1");
    f.report(good, HELLO, "pod-good", 1);

    try (Socket garbage = new Socket("127.0.0.1", f.server.kmpPort())) {
      OutputStream out = garbage.getOutputStream();
      out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      garbage.setSoTimeout((int) WAIT.toMillis());
      InputStream in = garbage.getInputStream();
      while (in.read() >= 0) {
        // the server's ERROR frame, then the close
      }
    }
    new Socket("127.0.0.1", f.server.kmpPort()).close(); // connects and leaves at once

    await().atMost(WAIT).until(() -> f.closed("bad_magic") == 1);
    await().atMost(WAIT).until(() -> f.closed("peer_closed") == 1);
    f.report(good, HELLO, "pod-good", 2);
    assertThat(good.client.isConnected()).isTrue();
    assertThat(good.disconnects).isEmpty();
  }

  @Test
  void aStatForARevisionAtZeroScalesItWithoutWaitingForTheTick() {
    InMemoryScaler scaler = new InMemoryScaler(true);
    f.start(scaler);
    f.source.upsert(HELLO, 0, Map.of());
    ServerFixture.Client qp = f.client(Role.QUEUE_PROXY, "pod-a", "10.1.0.1");
    ServerFixture.Client activator = f.client(Role.ACTIVATOR, "activator-a", "10.0.0.1");

    // An idle revision: a valid evaluation at 0.
    f.report(qp, HELLO, "pod-a", 0);
    f.sched.advance(Duration.ofSeconds(2));
    assertThat(snapshot(HELLO).desiredScale()).isZero();
    f.pumpUntil(() -> activator.decision(HELLO) != null);
    assertThat(activator.decision(HELLO).desiredScale()).isZero();
    long due = f.sched.nanos();

    // The activator reports the first request. The clock stays where it is, so no periodic tick
    // is due: only the poke can evaluate the revision now.
    activator.client.send(stat(HELLO, "activator-a", 1));
    f.pumpUntil(() -> scaler.replicas(HELLO) == 1);

    assertThat(f.sched.nanos()).isEqualTo(due);
    assertThat(f.sched.nanos()).isLessThan(T0 + 4 * S); // the next tick
    assertThat(snapshot(HELLO).desiredScale()).isEqualTo(1);
    // ... and the activators hear of it on the same path.
    f.pumpUntil(
        () -> activator.decision(HELLO) != null && activator.decision(HELLO).desiredScale() == 1);
  }

  @Test
  void activatorsGetTheirIndexInTheRevisionsSubset() {
    f.start(new InMemoryScaler(true));
    // TBC 0: Knative puts 2 activators in front of the revision.
    f.source.upsert(HELLO, 10, Map.of(G + "target-burst-capacity", "0"));
    ServerFixture.Client a1 = f.client(Role.ACTIVATOR, "activator-1", "10.0.0.1");
    ServerFixture.Client a2 = f.client(Role.ACTIVATOR, "activator-2", "10.0.0.2");
    ServerFixture.Client a3 = f.client(Role.ACTIVATOR, "activator-3", "10.0.0.3");

    // ChooseSubset({10.0.0.1, 10.0.0.2, 10.0.0.3}, 2, "hello-00001") = {10.0.0.2, 10.0.0.3}.
    f.pumpUntil(
        () ->
            new Decision(HELLO, -1, 0, 2, -1, 10).equals(a1.decision(HELLO))
                && new Decision(HELLO, -1, 0, 2, 0, 10).equals(a2.decision(HELLO))
                && new Decision(HELLO, -1, 0, 2, 1, 10).equals(a3.decision(HELLO)));

    JsonNode subset;
    try {
      subset = f.json("/revisions/default/hello-00001").get("activatorSubset");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    assertThat(subset).hasSize(2);
    assertThat(subset.get(0).asText()).isEqualTo("10.0.0.2");
    assertThat(subset.get(1).asText()).isEqualTo("10.0.0.3");

    // One leaves: two are left, and both front the revision.
    a3.client.close();
    f.pumpUntil(
        () ->
            new Decision(HELLO, -1, 0, 2, 0, 10).equals(a1.decision(HELLO))
                && new Decision(HELLO, -1, 0, 2, 1, 10).equals(a2.decision(HELLO)));
  }

  @Test
  void aNewActivatorGetsEveryDecisionAtOnceAndRemovalsReachEveryone() throws Exception {
    f.start(new InMemoryScaler(true));
    f.source.upsert(HELLO, 10, Map.of());
    f.source.upsert(WORLD, 0, Map.of());
    ServerFixture.Client first = f.client(Role.ACTIVATOR, "activator-1", "10.0.0.1");
    f.pumpUntil(() -> first.state.size() == 2);

    ServerFixture.Client second = f.client(Role.ACTIVATOR, "activator-2", "10.0.0.2");
    f.pumpUntil(() -> !second.received.isEmpty());
    Decisions initial = second.received.poll(1, TimeUnit.SECONDS);
    assertThat(initial.decisions())
        .extracting(Decision::revision)
        .containsExactlyInAnyOrder(HELLO, WORLD);
    assertThat(initial.decisions()).allSatisfy(d -> assertThat(d.activatorIndex()).isEqualTo(1));

    f.source.remove(WORLD);
    f.pumpUntil(() -> first.removals.contains(WORLD) && second.removals.contains(WORLD));
    assertThat(first.state.keySet()).containsExactly(HELLO);
    assertThat(second.state.keySet()).containsExactly(HELLO);
    // A containerConcurrency change is news too.
    f.source.upsert(HELLO, 20, Map.of());
    f.pumpUntil(
        () ->
            first.decision(HELLO).containerConcurrency() == 20
                && second.decision(HELLO).containerConcurrency() == 20);
  }

  @Test
  void invalidAnnotationsKeepTheLastGoodSettings() throws Exception {
    f.start(new InMemoryScaler(true));
    f.source.upsert(HELLO, 0, Map.of(G + "min-scale", "-1"));
    assertThat(f.server.multiscaler().contains(HELLO)).isFalse(); // never valid: not autoscaled
    assertThat(f.counter("knetty.autoscaler.revisions.invalid")).isEqualTo(1);

    f.source.upsert(HELLO, 0, Map.of(G + "target", "5"));
    assertThat(f.server.multiscaler().contains(HELLO)).isTrue();
    f.source.upsert(HELLO, 0, Map.of(G + "target", "five"));
    assertThat(f.counter("knetty.autoscaler.revisions.invalid")).isEqualTo(2);
    assertThat(
            f.json("/revisions/default/hello-00001").get("annotations").get(G + "target").asText())
        .isEqualTo("5");
    assertThat(f.server.multiscaler().contains(HELLO)).isTrue();
  }

  @Test
  void readyOnlyOnceTheRevisionsAreSynced() throws Exception {
    f.source.synced = false;
    f.start(new InMemoryScaler(true));
    HttpResponse<String> notYet = f.get(f.server.adminPort(), "/readyz");
    assertThat(notYet.statusCode()).isEqualTo(503);
    assertThat(notYet.body()).isEqualTo("revisions not synced\n");
    assertThat(f.get(f.server.adminPort(), "/healthz").statusCode()).isEqualTo(200);

    f.source.synced = true;
    assertThat(f.get(f.server.adminPort(), "/readyz").statusCode()).isEqualTo(200);
    assertThat(f.server.ready()).isTrue();
  }

  @Test
  void theEmbeddersReadinessChecksGateReadiness() throws Exception {
    AtomicBoolean webhook = new AtomicBoolean();
    f.start(new InMemoryScaler(true), b -> b.readinessCheck("webhook", webhook::get));
    HttpResponse<String> notYet = f.get(f.server.adminPort(), "/readyz");
    assertThat(notYet.statusCode()).isEqualTo(503);
    assertThat(notYet.body()).isEqualTo("webhook not ready\n");
    assertThat(f.server.ready()).isFalse();

    webhook.set(true);
    assertThat(f.get(f.server.adminPort(), "/readyz").statusCode()).isEqualTo(200);
  }

  @Test
  void aNewConfigAppliesToEveryRevision() {
    InMemoryScaler scaler = new InMemoryScaler(true);
    f.start(scaler);
    f.source.upsert(HELLO, 0, Map.of(G + "max-scale", "10"));
    assertThat(scaler.scaleCalls(HELLO)).isEmpty(); // no data yet

    // Invalid under the new config: the revision keeps its settings.
    f.server.reconfigure(
        AutoscalerConfig.fromMap(Map.of("max-scale-limit", "5", "max-scale", "5")));
    assertThat(f.server.multiscaler().contains(HELLO)).isTrue();
    assertThat(f.counter("knetty.autoscaler.revisions.invalid")).isEqualTo(1);
    f.source.upsert(WORLD, 0, Map.of(G + "max-scale", "8"));
    assertThat(f.server.multiscaler().contains(WORLD)).isFalse();

    // Valid again, with a new default: both revisions follow it, the refused one is taken.
    f.server.reconfigure(AutoscalerConfig.fromMap(Map.of("min-scale", "2")));
    assertThat(f.server.multiscaler().contains(WORLD)).isTrue();
    assertThat(scaler.scaleCalls(HELLO)).containsExactly(2);
    assertThat(scaler.scaleCalls(WORLD)).containsExactly(2);
  }

  @Test
  void closeTellsClientsGoingAway() {
    f.start(new InMemoryScaler(true));
    ServerFixture.Client activator = f.client(Role.ACTIVATOR, "activator-1", "10.0.0.1");
    f.server.close();
    await().atMost(WAIT).until(() -> !activator.disconnects.isEmpty());
    assertThat(activator.disconnects).containsExactly(CloseReason.PEER_CLOSED); // GOING_AWAY
  }
}
