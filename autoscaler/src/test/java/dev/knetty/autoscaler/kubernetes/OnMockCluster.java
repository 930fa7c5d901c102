package dev.knetty.autoscaler.kubernetes;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * Tests on one mock cluster per class (each test in its own namespace), with an admin client for
 * the test's own objects, a fake activator, and the {@link Parts} of the test, closed after it.
 */
abstract class OnMockCluster {

  static MockCluster cluster;
  static KubernetesClient admin;
  static FakeActivator activator;

  /** The parts the test started, if any. */
  Parts parts;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = new MockCluster();
    admin = cluster.client("admin");
    activator = new FakeActivator();
  }

  @AfterAll
  static void stopCluster() {
    activator.close();
    admin.close();
    cluster.close();
  }

  @AfterEach
  void closeParts() {
    if (parts != null) {
      parts.close();
    }
    activator.answering.set(true);
  }

  /** Waits for informers and background threads, generously. */
  static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(30));
  }
}
