package dev.knetty.autoscaler.kubernetes;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.http.KnativeHeaders;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * Knative's activator probe ({@code kpa/scaler.go} {@code activatorProbe}): before a revision's
 * last pod goes, {@code GET http://<revision>.<namespace>.svc.<domain>:<80|81>/healthz} with {@code
 * K-Network-Probe: activator} and the autoscaling probe's user agent must answer 200 {@code
 * activator}, which only an activator does (a queue-proxy answers such a probe with 400). So the
 * probe proves that the public Service's traffic reaches the activators.
 *
 * <p>Asynchronous (the JDK HTTP client), bounded by a timeout, and reading at most a few bytes of
 * the answer.
 */
final class ActivatorProbe {

  /** The answer is "activator"; anything longer is not an activator's. */
  private static final int MAX_BODY = 64;

  /** Where a revision's public Service is probed. */
  @FunctionalInterface
  interface Targets {
    URI of(RevisionKey key, boolean h2c);
  }

  private final HttpClient http;
  private final Duration timeout;
  private final Targets targets;

  ActivatorProbe(HttpClient http, Duration timeout, Targets targets) {
    this.http = Objects.requireNonNull(http, "http");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.targets = Objects.requireNonNull(targets, "targets");
  }

  /** The public Services by their cluster DNS names, on Knative's ports (80, 81 for h2c). */
  static Targets cluster(String clusterDomain) {
    return (key, h2c) ->
        URI.create(
            "http://"
                + key.name()
                + "."
                + key.namespace()
                + ".svc."
                + clusterDomain
                + ":"
                + (h2c ? ServiceReconciler.H2C_PORT : ServiceReconciler.HTTP_PORT)
                + "/healthz");
  }

  /** Completes with whether the activator answered for {@code key}; never exceptionally. */
  CompletionStage<Boolean> probe(RevisionKey key, boolean h2c) {
    HttpRequest request =
        HttpRequest.newBuilder(targets.of(key, h2c))
            .timeout(timeout)
            .header(KnativeHeaders.NETWORK_PROBE.toString(), KnativeHeaders.PROBE_ACTIVATOR)
            .header("User-Agent", KnativeHeaders.AUTOSCALING_PROBE_UA)
            .GET()
            .build();
    return http.sendAsync(request, response -> new LimitedBody())
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (response, err) ->
                err == null
                    && response.statusCode() == 200
                    && KnativeHeaders.PROBE_ACTIVATOR.equals(response.body()));
  }

  /** The body as a string, or null when it is longer than {@link #MAX_BODY}. */
  private static final class LimitedBody implements HttpResponse.BodySubscriber<String> {
    private final CompletableFuture<String> body = new CompletableFuture<>();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private Flow.Subscription subscription;

    @Override
    public CompletionStage<String> getBody() {
      return body;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      for (ByteBuffer b : items) {
        while (b.hasRemaining() && bytes.size() <= MAX_BODY) {
          bytes.write(b.get());
        }
      }
      if (bytes.size() > MAX_BODY) {
        subscription.cancel();
        body.complete(null);
      } else {
        subscription.request(1);
      }
    }

    @Override
    public void onError(Throwable t) {
      body.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      body.complete(bytes.toString(StandardCharsets.UTF_8));
    }
  }
}
