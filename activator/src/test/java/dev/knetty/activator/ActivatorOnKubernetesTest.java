package dev.knetty.activator;

import static dev.knetty.activator.kubernetes.MockApiServer.deployment;
import static dev.knetty.activator.kubernetes.MockApiServer.ready;
import static dev.knetty.activator.kubernetes.MockApiServer.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.knetty.activator.kubernetes.KubernetesEndpointSource;
import dev.knetty.activator.kubernetes.KubernetesSourceConfig;
import dev.knetty.activator.kubernetes.MockApiServer;
import dev.knetty.common.config.RevisionDefaults;
import dev.knetty.common.kubernetes.KnettyKeys;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The activator in Kubernetes mode, end to end on loopback: revisions and pods come from fabric8's
 * mock API server, the pod is a real server on 127.0.0.1.
 */
class ActivatorOnKubernetesTest extends ActivatorTestSupport {

  @Test
  void aRequestWaitsUntilTheRevisionsEndpointSliceHasAReadyPod() {
    MockApiServer api = new MockApiServer();
    closeables.add(api);
    String ns = HELLO.namespace();
    api.apply(deployment(ns, "hello", HELLO.name(), KnettyKeys.CONTAINER_CONCURRENCY, "1"));
    KubernetesEndpointSource source =
        new KubernetesEndpointSource(
            api.client(),
            new KubernetesSourceConfig(
                "10.1.0.2", ns, RevisionDefaults.defaults(), Duration.ofSeconds(30)));
    activator = Activator.builder(config().build()).endpointSource(source).build();
    activator.start();
    source.awaitSynced();
    assertThat(activator.isReady()).isTrue();
    assertThat(activator.revision(HELLO).throttler.capacity()).isZero();

    CompletableFuture<HttpResponse<String>> response = waitingGet(HELLO);
    FakePod pod = pod();
    api.apply(
        slice(
            ns,
            "hello-private-x1",
            HELLO.name(),
            KnettyKeys.SERVICE_TYPE_PRIVATE,
            "http",
            pod.port(),
            List.of(ready("127.0.0.1"))));

    HttpResponse<String> r = join(response);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).startsWith("pod " + pod.port());
    assertThat(r.headers().firstValue("X-Knetty-Cold-Start")).hasValue("true");
    // containerConcurrency 1 from the Deployment: one slot on the one pod.
    await().atMost(WAIT).until(() -> activator.revision(HELLO).throttler.capacity() == 1);
  }
}
