package dev.knetty.queueproxy;

import dev.knetty.common.breaker.Breaker;
import dev.knetty.common.breaker.BreakerConfig;
import dev.knetty.common.breaker.Permit;
import dev.knetty.common.breaker.QueueFullException;
import dev.knetty.common.http.KnativeHeaders;
import dev.knetty.common.http.TextResponses;
import dev.knetty.common.proxy.ExchangeOutcome;
import dev.knetty.common.proxy.ExchangeTimeouts;
import dev.knetty.common.proxy.ProxyExchange;
import dev.knetty.common.proxy.ProxyPolicy;
import dev.knetty.common.proxy.Retry;
import dev.knetty.common.proxy.UpstreamTarget;
import dev.knetty.common.stats.RequestStats;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The queue-proxy's {@link ProxyPolicy}: Knative's queue-proxy handler chain ({@code
 * pkg/queue/sharedmain/handlers.go}; knative-dataplane.md §1.3) on the shared proxy engine.
 *
 * <ol>
 *   <li><b>Drainer</b>: health checks ({@code User-Agent: kube-probe/...}, {@code K-Kubelet-Probe},
 *       {@code Knative-Activator-Probe}, {@code Knative-Autoscaling-Probe}, and any {@code
 *       K-Network-Probe} other than {@code probe}) are answered here: 503 {@code shutting down}
 *       while draining, 400 unless {@code K-Network-Probe: queue}, else the app is probed: 200
 *       {@code queue} or an empty 503. {@code K-Network-Probe: probe} needs {@code K-Network-Hash}
 *       and echoes it. Probes never count in stats nor pass the breaker. Other requests restart the
 *       drain's quiet period.
 *   <li><b>Stats</b>: {@code In} at arrival (so queued requests count as concurrency), {@code Out}
 *       when the exchange ends; {@code K-Proxy-Request: activator} marks proxied requests.
 *   <li><b>Headers</b>: {@code K-Original-Host} becomes the Host; {@code Knative-Serving-Revision}
 *       and {@code Knative-Serving-Namespace} are removed; {@code Forwarded} is synthesized.
 *   <li><b>Breaker</b> (container concurrency &gt; 0): {@code CC} requests execute, {@code 10 x CC}
 *       wait, the next one gets 503 {@code pending request queue full} at once. A waiting request
 *       whose client goes away (or that times out) leaves the queue.
 * </ol>
 *
 * <p>Timeouts are the engine's: set for every exchange at arrival, so the breaker wait counts.
 * Everything here runs on the exchange's event loop and never blocks.
 */
public final class QueueProxyPolicy implements ProxyPolicy {

  /** Probes have no timeouts: Knative answers them outside its timeout handler. */
  private static final ExchangeTimeouts NO_TIMEOUTS =
      new ExchangeTimeouts(
          Duration.ZERO, Duration.ZERO, Duration.ZERO, ExchangeTimeouts.QUEUE_PROXY_MESSAGE);

  /** The attachment of probe exchanges. */
  private static final Object PROBE = new Object();

  static final String SHUTTING_DOWN = "shutting down";
  static final String BAD_PROBE = "unexpected probe header value: ";
  static final String QUEUE_BODY = "queue";
  static final String MISSING_HASH =
      "a probe request must contain a non-empty \"K-Network-Hash\" header";

  /** Knative retries dials that time out (not refused ones), pausing 30-60 ms in between. */
  private static final long MIN_DIAL_BACKOFF_MILLIS = 30;

  private static final long MAX_DIAL_BACKOFF_MILLIS = 60;

  private final UpstreamTarget app;
  private final Breaker breaker;
  private final RequestStats stats;
  private final LongSupplier clock;
  private final ReadinessProber prober;
  private final Drainer drainer;
  private final QueueProxyMetrics metrics;
  private final AccessLog accessLog;
  private final AtomicInteger executing = new AtomicInteger();

  QueueProxyPolicy(
      QueueProxyConfig config,
      Breaker breaker,
      RequestStats stats,
      LongSupplier clock,
      ReadinessProber prober,
      Drainer drainer,
      MeterRegistry registry,
      AccessLog accessLog) {
    this.app = UpstreamTarget.of("127.0.0.1", config.userPort());
    this.breaker = breaker;
    this.stats = stats;
    this.clock = clock;
    this.prober = prober;
    this.drainer = drainer;
    this.accessLog = accessLog;
    this.metrics =
        new QueueProxyMetrics(
            registry,
            () -> breaker == null ? 0 : breaker.waiting(),
            executing::get,
            maxExpectedLatency(config));
  }

  /**
   * A policy for {@code config} on its own: a fresh breaker and stats, no readiness probes (health
   * checks answer ready), never draining, no access log. For benchmarks and embedding; {@link
   * QueueProxy} wires the full one.
   */
  public static QueueProxyPolicy standalone(QueueProxyConfig config, MeterRegistry registry) {
    LongSupplier clock = System::nanoTime;
    return new QueueProxyPolicy(
        config,
        config.hasBreaker()
            ? new Breaker(BreakerConfig.forContainerConcurrency(config.containerConcurrency()))
            : null,
        new RequestStats(clock.getAsLong()),
        clock,
        new ReadinessProber(List.of(), null, null, ReadinessProber.AGGRESSIVE_POLL_TIMEOUT),
        new Drainer(GlobalEventExecutor.INSTANCE, config.drainQuietPeriod()),
        registry,
        null);
  }

  /** The breaker, or {@code null} without container concurrency (tests). */
  Breaker breaker() {
    return breaker;
  }

  @Override
  public boolean synthesizeForwarded() {
    return true;
  }

  @Override
  public void onRequest(ProxyExchange ex) {
    HttpHeaders h = ex.request().headers();
    String probe = h.get(KnativeHeaders.NETWORK_PROBE);
    if (isHealthCheck(h, probe)) {
      ex.attach(PROBE);
      ex.timeouts(NO_TIMEOUTS);
      healthCheck(ex, probe);
      return;
    }
    if (KnativeHeaders.PROBE_INGRESS.equals(probe)) {
      ex.attach(PROBE);
      ex.timeouts(NO_TIMEOUTS);
      networkProbe(ex, h);
      return;
    }
    drainer.requestArrived();
    boolean proxied =
        KnativeHeaders.PROXY_REQUEST_ACTIVATOR.equals(h.get(KnativeHeaders.PROXY_REQUEST));
    stats.handleEvent(
        proxied ? RequestStats.Event.PROXIED_IN : RequestStats.Event.REQ_IN, clock.getAsLong());
    Call call = new Call(proxied);
    ex.attach(call);
    rewriteHeaders(h);
    if (breaker == null) {
      forward(ex, call);
      return;
    }
    Future<Permit> permit = breaker.acquire(ex.eventLoop());
    if (permit.isDone()) {
      admitted(ex, call, permit);
      return;
    }
    // Waiting: a client that goes away (or a timeout) leaves the queue.
    ex.onCancel(() -> permit.cancel(false));
    permit.addListener(f -> admitted(ex, call, permit));
  }

  @Override
  public void onComplete(ProxyExchange ex, ExchangeOutcome outcome) {
    Object attachment = ex.attachment();
    if (!(attachment instanceof Call)) {
      return; // a probe: answered and counted already
    }
    Call call = (Call) attachment;
    stats.handleEvent(
        call.proxied ? RequestStats.Event.PROXIED_OUT : RequestStats.Event.REQ_OUT,
        clock.getAsLong());
    if (call.permit != null) {
      call.permit.release();
    }
    if (call.forwarded) {
      executing.decrementAndGet();
    }
    metrics.completed(outcome);
    if (accessLog != null) {
      accessLog.log(ex, outcome, call.proxied);
    }
  }

  @Override
  public Retry onConnectFailure(
      ProxyExchange ex, UpstreamTarget failed, Throwable cause, int attempt) {
    // Knative's DialWithBackOff retries only dial timeouts; "connection refused" is a 502 at once.
    if (cause instanceof ConnectTimeoutException) {
      return Retry.to(
          failed,
          Duration.ofMillis(
              ThreadLocalRandom.current()
                  .nextLong(MIN_DIAL_BACKOFF_MILLIS, MAX_DIAL_BACKOFF_MILLIS + 1)));
    }
    return Retry.giveUp();
  }

  /**
   * Knative's Drainer: a kubelet probe, or the activator's or autoscaler's health check. Knetty
   * also takes any {@code K-Network-Probe} but {@code probe} here (Knative would proxy such a
   * request to the app when its User-Agent is not a probe's), so probes never reach the app.
   */
  static boolean isHealthCheck(HttpHeaders h, String probe) {
    // Knative's IsKubeletProbe (User-Agent or K-Kubelet-Probe) and the Drainer's probe agents.
    String ua = h.get(HttpHeaderNames.USER_AGENT);
    if (ua != null
        && (ua.startsWith(KnativeHeaders.KUBE_PROBE_UA_PREFIX)
            || ua.startsWith(KnativeHeaders.ACTIVATOR_PROBE_UA)
            || ua.startsWith(KnativeHeaders.AUTOSCALING_PROBE_UA))) {
      return true;
    }
    String kubelet = h.get(KnativeHeaders.KUBELET_PROBE);
    if (kubelet != null && !kubelet.isEmpty()) {
      return true;
    }
    return probe != null && !probe.isEmpty() && !KnativeHeaders.PROBE_INGRESS.equals(probe);
  }

  private void healthCheck(ProxyExchange ex, String probe) {
    if (drainer.isDraining()) {
      metrics.probe(QueueProxyMetrics.ProbeResult.DRAINING);
      ex.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, SHUTTING_DOWN);
      return;
    }
    String value = probe == null ? "" : probe;
    if (!KnativeHeaders.PROBE_QUEUE.equals(value)) {
      metrics.probe(QueueProxyMetrics.ProbeResult.BAD_REQUEST);
      ex.respond(HttpResponseStatus.BAD_REQUEST, BAD_PROBE + value);
      return;
    }
    prober
        .probe()
        .whenComplete(
            (ok, err) -> {
              boolean ready = err == null && Boolean.TRUE.equals(ok);
              if (ex.eventLoop().inEventLoop()) {
                answerProbe(ex, ready);
              } else {
                ex.eventLoop().execute(() -> answerProbe(ex, ready));
              }
            });
  }

  private void answerProbe(ProxyExchange ex, boolean ready) {
    if (ex.isDone()) {
      return; // the prober took longer than the client waited
    }
    FullHttpResponse response;
    if (ready) {
      metrics.probe(QueueProxyMetrics.ProbeResult.READY);
      // Go's io.WriteString(w, "queue"): sniffed text, no newline.
      response = TextResponses.plain(ByteBufAllocator.DEFAULT, HttpResponseStatus.OK, QUEUE_BODY);
    } else {
      metrics.probe(QueueProxyMetrics.ProbeResult.NOT_READY);
      response =
          TextResponses.empty(ByteBufAllocator.DEFAULT, HttpResponseStatus.SERVICE_UNAVAILABLE);
    }
    ex.respond(response);
  }

  /** Knative's {@code serveKProbe}: the ingress's probe of the network path. */
  private void networkProbe(ProxyExchange ex, HttpHeaders h) {
    metrics.probe(QueueProxyMetrics.ProbeResult.NETWORK_PROBE);
    if (drainer.isDraining()) {
      ex.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, SHUTTING_DOWN);
      return;
    }
    String hash = h.get(KnativeHeaders.NETWORK_HASH);
    if (hash == null || hash.isEmpty()) {
      ex.respond(HttpResponseStatus.BAD_REQUEST, MISSING_HASH);
      return;
    }
    FullHttpResponse response =
        TextResponses.empty(ByteBufAllocator.DEFAULT, HttpResponseStatus.OK);
    response.headers().set(KnativeHeaders.NETWORK_HASH, hash);
    ex.respond(response);
  }

  /** Knative's {@code RewriteHostOut} and the header-pruning proxy. */
  private static void rewriteHeaders(HttpHeaders h) {
    String originalHost = h.get(KnativeHeaders.ORIGINAL_HOST);
    if (originalHost != null && !originalHost.isEmpty()) {
      h.set(HttpHeaderNames.HOST, originalHost);
      h.remove(KnativeHeaders.ORIGINAL_HOST);
    }
    h.remove(KnativeHeaders.SERVING_REVISION);
    h.remove(KnativeHeaders.SERVING_NAMESPACE);
  }

  /** The breaker answered: forward, or Knative's error answers. */
  private void admitted(ProxyExchange ex, Call call, Future<Permit> permit) {
    if (permit.isSuccess()) {
      Permit p = permit.getNow();
      call.permit = p;
      if (!forward(ex, call)) {
        p.release(); // the exchange ended while the permit was on its way
      }
    } else if (permit.isCancelled()) {
      return; // the exchange ended while waiting
    } else if (permit.cause() instanceof QueueFullException) {
      metrics.rejected();
      ex.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, QueueFullException.MESSAGE);
    } else {
      // Knative answers other breaker errors with a bare 500.
      FullHttpResponse response =
          TextResponses.empty(ByteBufAllocator.DEFAULT, HttpResponseStatus.INTERNAL_SERVER_ERROR);
      ex.respond(response);
    }
  }

  private boolean forward(ProxyExchange ex, Call call) {
    if (!ex.forward(app)) {
      return false;
    }
    call.forwarded = true;
    executing.incrementAndGet();
    return true;
  }

  private static Duration maxExpectedLatency(QueueProxyConfig config) {
    Duration timeout = config.revisionTimeout();
    return timeout.isZero() || timeout.compareTo(Duration.ofMinutes(10)) > 0
        ? Duration.ofMinutes(10)
        : timeout;
  }

  /** A request's state: confined to its event loop. */
  private static final class Call {
    final boolean proxied;
    Permit permit;
    boolean forwarded;

    Call(boolean proxied) {
      this.proxied = proxied;
    }
  }
}
