package dev.knetty.queueproxy;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.http.AdminHandler;
import dev.knetty.common.http.AdminRequest;
import dev.knetty.common.kmp.KmpClient;
import dev.knetty.common.kmp.Stat;
import dev.knetty.common.kmp.StatBatch;
import dev.knetty.common.stats.RequestStats;
import dev.knetty.common.stats.RequestStatsReport;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Knative's queue-proxy reporting loop ({@code pkg/queue/sharedmain/main.go}, {@code
 * protobuf_stats_reporter.go}): on every tick, {@link RequestStats#report} turns into one {@code
 * Stat}, which is pushed to the autoscaler over KMP (zeros included: the autoscaler expects a stat
 * every second) and kept as the protobuf Knative's autoscaler scrapes from port 9090.
 *
 * <p>{@link #tick()} runs on a timer, never on a request path. The scrape handler serves the last
 * stored bytes, which are immutable.
 */
final class StatReporter implements AdminHandler {

  private static final Logger LOG = LoggerFactory.getLogger(StatReporter.class);
  private static final AsciiString APPLICATION_PROTOBUF =
      AsciiString.cached("application/protobuf");

  private final RequestStats stats;
  private final LongSupplier clock;
  private final long startNanos;
  private final double periodSeconds;
  private final String pod;
  private final RevisionKey revision;
  private final KmpClient kmp;
  private volatile byte[] latest;

  /**
   * @param clock the monotonic clock of {@code stats}, in nanoseconds
   * @param startNanos when the process started, on {@code clock}
   * @param periodSeconds the reporting period: counts are divided by it (Knative: 1 s)
   * @param revision the revision pushed stats are about; {@code null} when not pushing
   * @param kmp where to push stats; {@code null} to not push
   */
  StatReporter(
      RequestStats stats,
      LongSupplier clock,
      long startNanos,
      double periodSeconds,
      String pod,
      RevisionKey revision,
      KmpClient kmp) {
    this.stats = stats;
    this.clock = clock;
    this.startNanos = startNanos;
    this.periodSeconds = periodSeconds;
    this.pod = pod;
    this.revision = revision;
    this.kmp = kmp;
    this.latest = KnativeStatProto.podOnly(pod);
  }

  /** Closes the current window and reports it; never throws (it runs on a timer). */
  void tick() {
    try {
      long now = clock.getAsLong();
      RequestStatsReport r = stats.report(now);
      // Rounding can leave a -1e-17 after a window of balanced events; stats are never negative.
      double concurrency = Math.max(0, r.averageConcurrency());
      double proxiedConcurrency = Math.max(0, r.averageProxiedConcurrency());
      double requests = r.requestCount() / periodSeconds;
      double proxiedRequests = r.proxiedRequestCount() / periodSeconds;
      double uptime = Math.max(0, now - startNanos) / 1e9;
      latest =
          KnativeStatProto.encode(
              pod, concurrency, proxiedConcurrency, requests, proxiedRequests, uptime);
      if (kmp != null) {
        Stat stat =
            new Stat(
                revision,
                pod,
                System.currentTimeMillis(),
                concurrency,
                proxiedConcurrency,
                requests,
                proxiedRequests,
                uptime);
        kmp.send(StatBatch.of(stat));
      }
    } catch (RuntimeException e) {
      LOG.error("stat report failed", e);
    }
  }

  /** The protobuf Stat currently served on the stats port. */
  byte[] latest() {
    return latest;
  }

  /** {@code GET /metrics} on the stats port: the last Stat, whatever the {@code Accept}. */
  @Override
  public CompletionStage<FullHttpResponse> handle(AdminRequest request) {
    byte[] body = latest;
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, APPLICATION_PROTOBUF)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    return CompletableFuture.completedFuture(response);
  }
}
