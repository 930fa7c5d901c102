package dev.knetty.autoscaler.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.knetty.autoscaler.ManualScheduler;
import dev.knetty.common.RevisionKey;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class AdvisoryScalerTest {

  private static final long S = 1_000_000_000L;
  private static final long T0 = 1_700_000_000L * S;
  private static final RevisionKey HELLO = new RevisionKey("default", "hello-00001");
  private static final RevisionKey WORLD = new RevisionKey("default", "world-00002");

  private final ManualScheduler clock = new ManualScheduler(T0);
  private final AdvisoryScaler scaler = new AdvisoryScaler(Duration.ofSeconds(3), clock);
  private final List<String> told = new CopyOnWriteArrayList<>();

  @Test
  void readyPodsAreTheDistinctPodsHeardFromWithinTheWindow() {
    scaler.addReadyPodsListener((key, ready) -> told.add(key + "=" + ready));
    scaler.podReported(HELLO, "pod-a", T0);
    scaler.podReported(HELLO, "pod-b", T0);
    scaler.podReported(HELLO, "pod-a", T0); // the same pod again
    scaler.podReported(WORLD, "pod-c", T0);
    assertThat(scaler.readyPods(HELLO)).isEqualTo(2);
    assertThat(scaler.readyPods(WORLD)).isEqualTo(1);
    assertThat(scaler.readyPods(new RevisionKey("default", "nope"))).isZero();

    scaler.poll();
    assertThat(told).containsExactlyInAnyOrder("default/hello-00001=2", "default/world-00002=1");
    told.clear();
    scaler.poll(); // nothing changed: nothing told
    assertThat(told).isEmpty();

    clock.advanceTo(T0 + 2 * S);
    scaler.podReported(HELLO, "pod-a", T0 + 2 * S);
    clock.advanceTo(T0 + 3 * S); // pod-b and pod-c were last heard 3 s ago: gone at the poll
    assertThat(scaler.readyPods(HELLO)).isEqualTo(2);
    scaler.poll();
    assertThat(scaler.readyPods(HELLO)).isEqualTo(1);
    assertThat(scaler.readyPods(WORLD)).isZero();
    assertThat(told).containsExactlyInAnyOrder("default/hello-00001=1", "default/world-00002=0");
    scaler.podReported(WORLD, "pod-d", T0 + 3 * S); // counted at once, before any poll
    assertThat(scaler.readyPods(WORLD)).isEqualTo(1);
  }

  @Test
  void aForgottenRevisionHasNoPods() {
    scaler.podReported(HELLO, "pod-a", T0);
    scaler.forget(HELLO);
    assertThat(scaler.readyPods(HELLO)).isZero();
  }

  @Test
  void theActivatorIsInThePathWhileOneIsConnected() {
    assertThat(scaler.activatorInPath(HELLO).toCompletableFuture().join()).isFalse();
    scaler.activatorsConnected(2);
    assertThat(scaler.activatorInPath(HELLO).toCompletableFuture().join()).isTrue();
    scaler.activatorsConnected(0);
    assertThat(scaler.activatorInPath(HELLO).toCompletableFuture().join()).isFalse();
  }

  @Test
  void scalingChangesNothingAndSucceeds() {
    assertThat(scaler.scale(HELLO, 3).toCompletableFuture().isDone()).isTrue();
    assertThat(scaler.readyPods(HELLO)).isZero();
  }
}
