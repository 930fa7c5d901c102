package dev.knetty.common.metrics;

import dev.knetty.common.http.AdminHandler;
import dev.knetty.common.http.AdminRequest;
import dev.knetty.common.http.TextResponses;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * {@code GET /metrics} for an {@link dev.knetty.common.http.AdminHttpServer}: the registry in the
 * Prometheus text format (0.0.4), or in OpenMetrics 1.0 when the scraper's {@code Accept} asks for
 * {@code application/openmetrics-text} (as Prometheus does by default).
 *
 * <p>The scrape runs on {@code scrapeExecutor}, not on the event loop: it walks every meter and
 * reads JMX beans (thread counts, GC, memory pools), which takes from a fraction of a millisecond
 * to several milliseconds, and the admin server may share its event loops with the proxy path. The
 * exposition is written straight into a pooled {@code ByteBuf} (no intermediate {@code String}). If
 * the executor refuses the work (scrapes piling up), the answer is 503.
 */
public final class PrometheusScrapeHandler implements AdminHandler {

  /** The Prometheus text exposition format. */
  public static final String TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** OpenMetrics 1.0 text. */
  public static final String OPENMETRICS_CONTENT_TYPE =
      "application/openmetrics-text; version=1.0.0; charset=utf-8";

  private static final String OPENMETRICS_MEDIA_TYPE = "application/openmetrics-text";
  private static final int INITIAL_BUFFER_SIZE = 16 * 1024;

  private final PrometheusMeterRegistry registry;
  private final Executor scrapeExecutor;

  // A size hint from the previous scrape, so the buffer rarely grows while being written.
  private volatile int lastSize = INITIAL_BUFFER_SIZE;

  /** Scrapes {@code registry} on {@code scrapeExecutor}. */
  public PrometheusScrapeHandler(PrometheusMeterRegistry registry, Executor scrapeExecutor) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.scrapeExecutor = Objects.requireNonNull(scrapeExecutor, "scrapeExecutor");
  }

  @Override
  public CompletionStage<FullHttpResponse> handle(AdminRequest request) {
    String contentType = negotiate(request.headers().get(HttpHeaderNames.ACCEPT));
    try {
      return CompletableFuture.supplyAsync(() -> scrape(request, contentType), scrapeExecutor);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.completedFuture(
          TextResponses.of(
              request.alloc(),
              HttpResponseStatus.SERVICE_UNAVAILABLE,
              "too many scrapes in progress"));
    }
  }

  /** The content type to answer an {@code Accept} header with. */
  static String negotiate(String accept) {
    return accept != null && accept.contains(OPENMETRICS_MEDIA_TYPE)
        ? OPENMETRICS_CONTENT_TYPE
        : TEXT_CONTENT_TYPE;
  }

  private FullHttpResponse scrape(AdminRequest request, String contentType) {
    ByteBuf body = request.alloc().buffer(lastSize + lastSize / 8);
    boolean written = false;
    try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
      // Micrometer picks the writer from this value the same way: openmetrics or text.
      registry.scrape(out, contentType);
      written = true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (!written) {
        body.release();
      }
    }
    lastSize = body.readableBytes();
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, contentType)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    return response;
  }
}
