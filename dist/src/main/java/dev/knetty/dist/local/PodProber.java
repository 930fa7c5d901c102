package dev.knetty.dist.local;

import dev.knetty.common.http.KnativeHeaders;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Asks a pod's queue-proxy whether the pod is ready, as the activator does: {@code GET /healthz}
 * with {@code K-Network-Probe: queue} and {@code User-Agent: Knative-Activator-Probe}; ready iff
 * {@code 200 queue}. The queue-proxy answers only once its own probe of the app passed (it polls a
 * starting app for up to 10 s before it says no), so one probe covers the whole start of the app.
 */
final class PodProber {

  /** Longer than the queue-proxy's own polling of the app (10 s). */
  static final Duration TIMEOUT = Duration.ofSeconds(12);

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);

  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(CONNECT_TIMEOUT)
          .build();

  /** Completes with whether the queue-proxy on {@code port} says ready; never exceptionally. */
  CompletableFuture<Boolean> probe(int port) {
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create("http://" + PodLauncher.LOOPBACK + ":" + port + "/healthz"))
            .timeout(TIMEOUT)
            .header(KnativeHeaders.NETWORK_PROBE.toString(), KnativeHeaders.PROBE_QUEUE)
            .header("User-Agent", KnativeHeaders.ACTIVATOR_PROBE_UA)
            .GET()
            .build();
    return client
        .sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle(
            (response, error) ->
                error == null
                    && response.statusCode() == 200
                    && KnativeHeaders.PROBE_QUEUE.equals(response.body()));
  }
}
