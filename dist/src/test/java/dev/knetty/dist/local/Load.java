package dev.knetty.dist.local;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.http.KnativeHeaders;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load through local mode's activator: {@code concurrency} threads, each sending the
 * next request as soon as the previous one is answered, to one revision (chosen by the {@code
 * Knetty-Revision} header: the JDK client does not let a test set {@code Host}). Counts successes
 * (200) and failures (anything else, with what happened).
 */
final class Load implements AutoCloseable {

  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  private final HttpClient client;
  private final ExecutorService threads;
  private final AtomicLong successes = new AtomicLong();
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private volatile boolean running = true;

  private Load(HttpClient client, ExecutorService threads) {
    this.client = client;
    this.threads = threads;
  }

  /** Starts {@code concurrency} senders of {@code GET <path>} to {@code revision}. */
  static Load start(int activatorPort, RevisionKey revision, String path, int concurrency) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    Load load = new Load(client, Executors.newFixedThreadPool(concurrency));
    HttpRequest request = request(activatorPort, revision, path);
    for (int i = 0; i < concurrency; i++) {
      load.threads.execute(() -> load.loop(request));
    }
    return load;
  }

  static HttpRequest request(int activatorPort, RevisionKey revision, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + activatorPort + path))
        .header(KnativeHeaders.KNETTY_REVISION.toString(), revision.name())
        .header(KnativeHeaders.KNETTY_NAMESPACE.toString(), revision.namespace())
        .timeout(REQUEST_TIMEOUT)
        .GET()
        .build();
  }

  private void loop(HttpRequest request) {
    while (running) {
      try {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          successes.incrementAndGet();
        } else {
          failures.add(response.statusCode() + " " + response.body().strip());
        }
      } catch (IOException e) {
        failures.add(e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  long successes() {
    return successes.get();
  }

  List<String> failures() {
    return new ArrayList<>(failures);
  }

  /** Stops sending; waits for the requests in flight. Idempotent. */
  void stop() {
    running = false;
    threads.shutdown();
    try {
      if (!threads.awaitTermination(REQUEST_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS)) {
        threads.shutdownNow();
      }
    } catch (InterruptedException e) {
      threads.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }
}
