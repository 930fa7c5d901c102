package dev.knetty.queueproxy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Continuous load for drain tests: {@code threads} clients each sending {@code GET uri} as soon as
 * the previous answer is in, counting successes (in total and after {@link #mark()}) and keeping
 * every failure. {@link #close()} stops them after their request in progress.
 */
final class LoadLoop implements AutoCloseable {

  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicBoolean marked = new AtomicBoolean();
  private final AtomicInteger ok = new AtomicInteger();
  private final AtomicInteger okAfterMark = new AtomicInteger();
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private final ExecutorService threads;

  LoadLoop(HttpClient http, URI uri, int clients) {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build();
    threads = Executors.newFixedThreadPool(clients);
    for (int i = 0; i < clients; i++) {
      threads.execute(
          () -> {
            while (!stop.get()) {
              try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                  ok.incrementAndGet();
                  if (marked.get()) {
                    okAfterMark.incrementAndGet();
                  }
                } else {
                  failures.add(r.statusCode() + " " + r.body());
                }
              } catch (IOException | InterruptedException e) {
                failures.add(e.toString());
              }
            }
          });
    }
  }

  /** From now on, successes also count in {@link #okAfterMark()} (e.g. after SIGTERM). */
  void mark() {
    marked.set(true);
  }

  int ok() {
    return ok.get();
  }

  int okAfterMark() {
    return okAfterMark.get();
  }

  List<String> failures() {
    return List.copyOf(failures);
  }

  /** Stops sending and waits for the requests in progress to end. */
  @Override
  public void close() {
    stop.set(true);
    threads.shutdown();
    try {
      if (!threads.awaitTermination(30, TimeUnit.SECONDS)) {
        threads.shutdownNow();
        throw new IllegalStateException("load threads did not stop");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      threads.shutdownNow();
    }
  }
}
