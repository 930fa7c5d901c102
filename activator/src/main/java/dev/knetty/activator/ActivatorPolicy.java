package dev.knetty.activator;

import dev.knetty.activator.ActivatorMetrics.Rejection;
import dev.knetty.activator.throttler.Lease;
import dev.knetty.activator.throttler.ThrottlerClosedException;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.http.KnativeHeaders;
import dev.knetty.common.http.TextResponses;
import dev.knetty.common.proxy.ExchangeOutcome;
import dev.knetty.common.proxy.ExchangeTimeouts;
import dev.knetty.common.proxy.ProxyExchange;
import dev.knetty.common.proxy.ProxyPolicy;
import dev.knetty.common.proxy.Retry;
import dev.knetty.common.proxy.UpstreamTarget;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The activator's handler chain (Knative's {@code cmd/activator/main.go}, knative-dataplane.md
 * §2.2) as a {@link ProxyPolicy}, on the exchange's event loop:
 *
 * <ol>
 *   <li>kubelet probe → health: 200, or 500 with the problem ({@code received SIGTERM from kubelet}
 *       once draining);
 *   <li>{@code K-Network-Probe: probe} → 200 echoing {@code K-Network-Hash} (400 without one);
 *       otherwise {@code K-Network-Hash} is removed;
 *   <li>any other {@code K-Network-Probe}: {@code activator} → 200 {@code activator}, else 400;
 *   <li>revision lookup ({@link RevisionResolver}) → 404 naming what was looked up;
 *   <li>stats: the request counts from here (waiting included) until it ends;
 *   <li>the revision's timeouts ({@code activator request timeout});
 *   <li>throttler: a revision slot and a pod slot, waiting within the buffer limits (503 with
 *       {@code Retry-After} when full, 504 when waiting too long);
 *   <li>proxy with {@code K-Proxy-Request: activator}, Host moved to {@code K-Original-Host}, the
 *       routing headers removed, and {@code X-Knetty-Cold-Start} on the response.
 * </ol>
 */
final class ActivatorPolicy implements ProxyPolicy {

  /** Whether a request waited for its revision to get capacity (KEDA's X-KEDA-HTTP-Cold-Start). */
  static final AsciiString COLD_START = AsciiString.cached("x-knetty-cold-start");

  static final String SIGTERM = "received SIGTERM from kubelet";

  private static final String HASH_MISSING =
      "a probe request must contain a non-empty \"K-Network-Hash\" header";
  private static final AsciiString TRUE = AsciiString.cached("true");
  private static final AsciiString FALSE = AsciiString.cached("false");

  private final ActivatorConfig config;
  private final Revisions revisions;
  private final RevisionResolver resolver;
  private final BufferLimits limits;
  private final ConcurrencyReporter reporter;
  private final ActivatorMetrics metrics;
  private final Supplier<String> healthProblem;
  private final String retryAfter;
  private final long retryBackoffNanos;

  ActivatorPolicy(
      ActivatorConfig config,
      Revisions revisions,
      RevisionResolver resolver,
      BufferLimits limits,
      ConcurrencyReporter reporter,
      ActivatorMetrics metrics,
      Supplier<String> healthProblem) {
    this.config = config;
    this.revisions = revisions;
    this.resolver = resolver;
    this.limits = limits;
    this.reporter = reporter;
    this.metrics = metrics;
    this.healthProblem = healthProblem;
    this.retryAfter = Long.toString(config.retryAfter().toSeconds());
    this.retryBackoffNanos = config.connectRetryBackoff().toNanos();
  }

  @Override
  public void onRequest(ProxyExchange ex) {
    HttpHeaders h = ex.request().headers();
    if (KnativeHeaders.isKubeletProbe(h)) {
      String problem = healthProblem.get();
      if (problem == null) {
        ex.respond(TextResponses.empty(ByteBufAllocator.DEFAULT, HttpResponseStatus.OK));
      } else {
        ex.respond(HttpResponseStatus.INTERNAL_SERVER_ERROR, problem);
      }
      return;
    }
    String probe = h.get(KnativeHeaders.NETWORK_PROBE);
    if (probe != null && !probe.isEmpty()) {
      networkProbe(ex, probe, h);
      return;
    }
    h.remove(KnativeHeaders.NETWORK_HASH);
    RevisionKey key = resolver.resolve(ex.request());
    RevisionEntry rev = key == null ? null : revisions.get(key);
    if (rev == null) {
      metrics.rejected(Rejection.UNKNOWN_REVISION);
      ex.respond(HttpResponseStatus.NOT_FOUND, notFound(key, h));
      return;
    }
    h.remove(KnativeHeaders.KNETTY_REVISION)
        .remove(KnativeHeaders.KNETTY_NAMESPACE)
        .remove(KnativeHeaders.SERVING_REVISION)
        .remove(KnativeHeaders.SERVING_NAMESPACE);
    Call call = new Call(ex, rev, reporter.requestIn(key));
    ex.attach(call);
    call.start();
  }

  private static void networkProbe(ProxyExchange ex, String probe, HttpHeaders h) {
    if (KnativeHeaders.PROBE_INGRESS.equals(probe)) {
      String hash = h.get(KnativeHeaders.NETWORK_HASH);
      if (hash == null || hash.isEmpty()) {
        ex.respond(HttpResponseStatus.BAD_REQUEST, HASH_MISSING);
        return;
      }
      FullHttpResponse ok = TextResponses.empty(ByteBufAllocator.DEFAULT, HttpResponseStatus.OK);
      ok.headers().set(KnativeHeaders.NETWORK_HASH, hash);
      ex.respond(ok);
    } else if (KnativeHeaders.PROBE_ACTIVATOR.equals(probe)) {
      ex.respond(
          TextResponses.plain(
              ByteBufAllocator.DEFAULT, HttpResponseStatus.OK, KnativeHeaders.PROBE_ACTIVATOR));
    } else {
      ex.respond(
          HttpResponseStatus.BAD_REQUEST, "unexpected probe header value: " + goQuote(probe));
    }
  }

  private String notFound(RevisionKey key, HttpHeaders h) {
    if (key != null) {
      return "revision \"" + key + "\" not found";
    }
    String host = h.get(HttpHeaderNames.HOST);
    return "no revision in the Knetty-Revision and Knetty-Namespace (or Knative-Serving-Revision"
        + " and Knative-Serving-Namespace) headers nor in Host "
        + (host == null ? "(none)" : goQuote(host))
        + " (expected: <name>.<namespace>[.svc[."
        + config.clusterDomain()
        + "]])";
  }

  @Override
  public void onComplete(ProxyExchange ex, ExchangeOutcome outcome) {
    if (!(ex.attachment() instanceof Call)) {
      return; // a probe or a 404
    }
    Call call = (Call) ex.attachment();
    call.stopWaiting();
    Lease lease = call.lease;
    call.lease = null;
    if (lease != null) {
      lease.release();
    }
    reporter.requestOut(call.stats);
    metrics.outcome(outcome.kind());
    switch (outcome.kind()) {
      case TIMEOUT:
        (call.forwarded ? metrics.proxyTimeouts : metrics.waitTimeouts).increment();
        break;
      case CONNECT_FAILED:
        // The last attempt's failure, unless onConnectFailure saw it (and gave up).
        if (outcome.upstreamAttempts() > call.connectFailures && ex.target() != null) {
          metrics.connectErrors.increment();
          revisions.podFailed(call.rev, ex.target());
        }
        break;
      case UPSTREAM_ERROR:
        metrics.upstreamErrors.increment();
        break;
      default:
        break;
    }
  }

  @Override
  public Retry onConnectFailure(
      ProxyExchange ex, UpstreamTarget failed, Throwable cause, int attempt) {
    if (!(ex.attachment() instanceof Call)) {
      return Retry.giveUp();
    }
    Call call = (Call) ex.attachment();
    call.connectFailures = attempt;
    metrics.connectErrors.increment();
    revisions.podFailed(call.rev, failed);
    if (call.lease == null) {
      return Retry.giveUp();
    }
    if (call.failed == null) {
      call.failed = new ArrayList<>(2);
    }
    call.failed.add(failed);
    // Another pod if one has a free slot, else the same one again (the engine bounds attempts).
    call.rev.throttler.reassign(call.lease, call.failed);
    metrics.retries.increment();
    return Retry.to(call.lease.target(), Duration.ofNanos(retryBackoffNanos * attempt));
  }

  @Override
  public void onResponseHeaders(ProxyExchange ex, HttpResponse response) {
    if (ex.attachment() instanceof Call) {
      response.headers().set(COLD_START, ((Call) ex.attachment()).coldStart ? TRUE : FALSE);
    }
  }

  /**
   * Request body bytes to reserve while a request waits: what the engine holds already plus what it
   * may still read (the pre-read limit, or the rest of a declared length if smaller).
   */
  long reservation(ProxyExchange ex) {
    long held = ex.bufferedRequestBytes();
    long more = config.preReadLimitBytes();
    String length = ex.request().headers().get(HttpHeaderNames.CONTENT_LENGTH);
    if (length != null) {
      try {
        more = Math.min(more, Math.max(0, Long.parseLong(length.strip()) - held));
      } catch (NumberFormatException e) {
        // The codec rejects a bad Content-Length; keep the full allowance if one slips through.
      }
    }
    return held + more;
  }

  private void reject(ProxyExchange ex, RevisionEntry rev, Rejection reason) {
    metrics.rejected(reason);
    long limit = limits.limit(reason);
    String text;
    switch (reason) {
      case REVISION_REQUESTS:
        text =
            "activator: "
                + limit
                + " requests already wait for revision "
                + rev.key
                + " (max-waiting-per-revision)";
        break;
      case ACTIVATOR_REQUESTS:
        text = "activator: " + limit + " requests already wait in this activator (max-waiting)";
        break;
      case REVISION_BYTES:
        text =
            "activator: the waiting requests of revision "
                + rev.key
                + " hold the most request bytes allowed, "
                + limit
                + " (max-buffered-bytes-per-revision)";
        break;
      case ACTIVATOR_BYTES:
        text =
            "activator: the waiting requests hold the most request bytes allowed, "
                + limit
                + " (max-buffered-bytes)";
        break;
      default:
        throw new IllegalArgumentException(String.valueOf(reason));
    }
    FullHttpResponse response =
        TextResponses.of(ByteBufAllocator.DEFAULT, HttpResponseStatus.SERVICE_UNAVAILABLE, text);
    response.headers().set(HttpHeaderNames.RETRY_AFTER, retryAfter);
    ex.respond(response);
  }

  /** Go's {@code %q} for a header value (printable ASCII; quotes and backslashes escaped). */
  static String goQuote(String value) {
    StringBuilder sb = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  /**
   * One request for a known revision: its place in the stats, its wait for capacity, its lease. It
   * is also the exchange's cancel hook (while waiting) and the listener of the throttler's answer.
   * Confined to the exchange's event loop.
   */
  private final class Call implements Runnable, GenericFutureListener<Future<Lease>> {
    final ProxyExchange ex;
    final RevisionEntry rev;
    final ConcurrencyReporter.Entry stats;
    Future<Lease> ticket;
    Lease lease;
    List<UpstreamTarget> failed;
    int connectFailures;
    long reserved = -1;
    boolean coldStart;
    boolean forwarded;

    Call(ProxyExchange ex, RevisionEntry rev, ConcurrencyReporter.Entry stats) {
      this.ex = ex;
      this.rev = rev;
      this.stats = stats;
    }

    void start() {
      RevisionEntry.Timeouts timeouts = rev.timeouts();
      boolean noCapacity = rev.throttler.capacity() == 0;
      Future<Lease> f = rev.throttler.acquire(ex.eventLoop());
      if (f.isDone()) {
        timeouts(timeouts.proxy());
        granted(f);
        return;
      }
      long reserve = reservation(ex);
      Rejection rejection = limits.tryAdmit(rev, reserve);
      if (rejection != null) {
        f.cancel(false);
        reject(ex, rev, rejection);
        return;
      }
      reserved = reserve;
      coldStart = noCapacity;
      ticket = f;
      timeouts(timeouts.waiting());
      ex.onCancel(this);
      f.addListener(this);
    }

    /** The exchange ended while waiting: the client left, a timeout fired, or shutdown. */
    @Override
    public void run() {
      Future<Lease> f = ticket;
      ticket = null;
      if (f != null) {
        f.cancel(false);
      }
      stopWaiting();
    }

    @Override
    public void operationComplete(Future<Lease> f) {
      ticket = null;
      if (ex.isDone()) {
        if (f.isSuccess()) {
          f.getNow().release();
        }
        return;
      }
      stopWaiting();
      timeouts(rev.timeouts().proxy());
      granted(f);
    }

    void stopWaiting() {
      if (reserved >= 0) {
        limits.release(rev, reserved);
        reserved = -1;
      }
    }

    private void timeouts(ExchangeTimeouts value) {
      if (!value.equals(ex.timeouts())) {
        ex.timeouts(value);
      }
    }

    private void granted(Future<Lease> f) {
      if (!f.isSuccess()) {
        if (f.cause() instanceof ThrottlerClosedException) {
          metrics.rejected(Rejection.REVISION_REMOVED);
          ex.respond(HttpResponseStatus.NOT_FOUND, "revision \"" + rev.key + "\" was removed");
        } else {
          ex.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, "activator: " + f.cause());
        }
        return;
      }
      lease = f.getNow();
      if (coldStart) {
        metrics.coldStartWait.record(
            ex.eventLoop().ticker().nanoTime() - ex.arrivalNanos(), TimeUnit.NANOSECONDS);
      }
      HttpHeaders h = ex.request().headers();
      h.set(KnativeHeaders.PROXY_REQUEST, KnativeHeaders.PROXY_REQUEST_ACTIVATOR);
      // Knative's RewriteHostIn: the pod sees Host ip:port (the engine sets it per attempt when the
      // request has none); the queue-proxy restores the original from K-Original-Host.
      String host = h.get(HttpHeaderNames.HOST);
      if (host != null && !host.isEmpty() && !h.contains(KnativeHeaders.ORIGINAL_HOST)) {
        h.set(KnativeHeaders.ORIGINAL_HOST, host);
      }
      h.remove(HttpHeaderNames.HOST);
      forwarded = true;
      if (!ex.forward(lease.target())) {
        lease.release();
        lease = null;
      }
    }
  }
}
