package dev.knetty.queueproxy;

import dev.knetty.common.net.Transport;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes the user container the way Knative's queue-proxy does ({@code pkg/queue/readiness/
 * probe.go}; knative-dataplane.md §1.6): every call re-probes (no caching), concurrent calls share
 * the probe in progress (single flight), all probes run in parallel and must all pass.
 *
 * <p>A probe with {@code periodSeconds == 0} is aggressive: an attempt at once, then every 50 ms,
 * each attempt bounded by 100 ms, until {@code successThreshold} consecutive successes or 10 s
 * (then not ready). The count of consecutive successes carries over from call to call and a failure
 * resets it, as in Knative. Other probes make one attempt bounded by {@code timeoutSeconds}.
 *
 * <p>Everything runs on one event loop with Netty clients: nothing blocks a thread.
 */
final class ReadinessProber {

  private static final Logger LOG = LoggerFactory.getLogger(ReadinessProber.class);

  static final Duration AGGRESSIVE_INTERVAL = Duration.ofMillis(50);
  static final Duration AGGRESSIVE_ATTEMPT_TIMEOUT = Duration.ofMillis(100);
  static final Duration AGGRESSIVE_POLL_TIMEOUT = Duration.ofSeconds(10);

  private final EventLoop loop;
  private final List<Runner> runners;
  private final Duration pollTimeout;
  private final AtomicReference<CompletableFuture<Boolean>> inFlight = new AtomicReference<>();

  /**
   * @param probes the probes; none means always ready
   * @param loop where the probes run
   * @param pollTimeout how long an aggressive probe keeps trying (Knative: 10 s)
   */
  ReadinessProber(
      List<ReadinessProbe> probes, EventLoop loop, Transport transport, Duration pollTimeout) {
    this.loop = loop;
    this.pollTimeout = pollTimeout;
    SslContext ssl = null;
    List<Runner> list = new ArrayList<>();
    for (ReadinessProbe p : probes) {
      ProbeCheck check;
      if (p.action() instanceof ReadinessProbe.HttpGet) {
        ReadinessProbe.HttpGet http = (ReadinessProbe.HttpGet) p.action();
        if (http.https() && ssl == null) {
          ssl = insecureClientContext();
        }
        check = new HttpProbeCheck(loop, transport, http, ssl);
      } else if (p.action() instanceof ReadinessProbe.TcpSocket) {
        check = new TcpProbeCheck(loop, transport, (ReadinessProbe.TcpSocket) p.action());
      } else {
        check = new GrpcProbeCheck(loop, transport, (ReadinessProbe.Grpc) p.action());
      }
      list.add(new Runner(p, check));
    }
    this.runners = List.copyOf(list);
  }

  /** Attempts made so far, over all probes (tests). */
  int attempts() {
    int n = 0;
    for (Runner r : runners) {
      n += r.attempts;
    }
    return n;
  }

  /**
   * Probes the app now, or joins the probe in progress. The future completes on the prober's event
   * loop with whether every probe passed.
   */
  CompletableFuture<Boolean> probe() {
    if (runners.isEmpty()) {
      return CompletableFuture.completedFuture(true);
    }
    for (; ; ) {
      CompletableFuture<Boolean> current = inFlight.get();
      if (current != null) {
        return current;
      }
      CompletableFuture<Boolean> mine = new CompletableFuture<>();
      if (inFlight.compareAndSet(null, mine)) {
        loop.execute(() -> runAll(mine));
        return mine;
      }
    }
  }

  private void runAll(CompletableFuture<Boolean> result) {
    int[] pending = {runners.size()};
    boolean[] ready = {true};
    for (Runner r : runners) {
      r.run(
          ok -> {
            ready[0] &= ok;
            if (--pending[0] == 0) {
              // Clear first: a call after the result is known probes again.
              inFlight.compareAndSet(result, null);
              result.complete(ready[0]);
            }
          });
    }
  }

  private static SslContext insecureClientContext() {
    try {
      // Knative's prober skips certificate verification (InsecureSkipVerify).
      return SslContextBuilder.forClient()
          .trustManager(InsecureTrustManagerFactory.INSTANCE)
          .build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot create the TLS context for HTTPS probes", e);
    }
  }

  /** One probe and its count of consecutive successes; confined to the loop. */
  private final class Runner {
    private final ReadinessProbe probe;
    private final ProbeCheck check;
    private int successes;
    // Written on the loop only; volatile for attempts().
    private volatile int attempts;

    Runner(ReadinessProbe probe, ProbeCheck check) {
      this.probe = probe;
      this.check = check;
    }

    void run(Consumer<Boolean> done) {
      if (!probe.aggressive()) {
        attempts++;
        check
            .attempt(TimeUnit.SECONDS.toNanos(probe.timeoutSeconds()))
            .addListener(f -> done.accept(f.isSuccess() && Boolean.TRUE.equals(f.getNow())));
        return;
      }
      long deadline = System.nanoTime() + pollTimeout.toNanos();
      poll(deadline, 0, done);
    }

    private void poll(long deadline, int failures, Consumer<Boolean> done) {
      long start = System.nanoTime();
      attempts++;
      check
          .attempt(AGGRESSIVE_ATTEMPT_TIMEOUT.toNanos())
          .addListener(
              f -> {
                boolean ok = f.isSuccess() && Boolean.TRUE.equals(f.getNow());
                int failed = failures;
                if (ok) {
                  successes++;
                  if (successes >= probe.successThreshold()) {
                    done.accept(true);
                    return;
                  }
                } else {
                  successes = 0;
                  failed++;
                }
                long now = System.nanoTime();
                if (now - deadline >= 0) {
                  if (failed > 0) {
                    LOG.info(
                        "{} not ready after {} ({} failed attempts)", check, pollTimeout, failed);
                  }
                  done.accept(false);
                  return;
                }
                int nextFailures = failed;
                long delay = Math.max(0, start + AGGRESSIVE_INTERVAL.toNanos() - now);
                loop.schedule(
                    () -> poll(deadline, nextFailures, done), delay, TimeUnit.NANOSECONDS);
              });
    }
  }
}
