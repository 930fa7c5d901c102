package dev.knetty.autoscaler.kubernetes.webhook;

import dev.knetty.autoscaler.kubernetes.RateLimitedLog;
import dev.knetty.common.http.TextResponses;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /mutate} (AdmissionReview in, AdmissionReview out) and {@code GET /healthz}. Runs on
 * the webhook's own event loops: decoding and mutating one pod is a little CPU work and blocks
 * nothing else.
 */
@ChannelHandler.Sharable
final class WebhookHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookHandler.class);

  static final String MUTATE_PATH = "/mutate";
  static final String HEALTH_PATH = "/healthz";

  private static final Duration LOG_INTERVAL = Duration.ofSeconds(30);

  private final AdmissionReviews reviews;
  private final KubernetesSerialization serialization;
  private final Map<AdmissionReviews.Outcome, Counter> outcomes =
      new EnumMap<>(AdmissionReviews.Outcome.class);
  private final Counter rejected;
  private final Counter warnings;
  private final Counter handshakeFailures;
  private final RateLimitedLog badInputLog = new RateLimitedLog(LOG_INTERVAL);
  private final RateLimitedLog failureLog = new RateLimitedLog(LOG_INTERVAL);
  private final RateLimitedLog handshakeLog = new RateLimitedLog(LOG_INTERVAL);

  WebhookHandler(
      AdmissionReviews reviews, KubernetesSerialization serialization, MeterRegistry registry) {
    this.reviews = Objects.requireNonNull(reviews, "reviews");
    this.serialization = Objects.requireNonNull(serialization, "serialization");
    for (AdmissionReviews.Outcome o : AdmissionReviews.Outcome.values()) {
      outcomes.put(o, admissions(registry, o.name().toLowerCase(Locale.ROOT)));
    }
    rejected = admissions(registry, "rejected");
    warnings =
        Counter.builder("knetty.webhook.admission.warnings")
            .description("Warnings returned in AdmissionReview responses")
            .register(registry);
    handshakeFailures =
        Counter.builder("knetty.webhook.tls.handshake.failures")
            .description("Failed TLS handshakes; the API server's among them mean a wrong caBundle")
            .register(registry);
  }

  private static Counter admissions(MeterRegistry registry, String outcome) {
    return Counter.builder("knetty.webhook.admissions")
        .description(
            "AdmissionReviews answered: patched, allowed (no patch), failed (allowed unmutated),"
                + " rejected (400, not an AdmissionReview)")
        .tag("outcome", outcome)
        .register(registry);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (!request.decoderResult().isSuccess()) {
      write(ctx, false, text(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request"));
      return;
    }
    String path = new QueryStringDecoder(request.uri()).path();
    HttpMethod method = request.method();
    FullHttpResponse response;
    if (HEALTH_PATH.equals(path)) {
      response =
          HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method)
              ? text(ctx, HttpResponseStatus.OK, "ok")
              : methodNotAllowed(ctx, "GET");
    } else if (MUTATE_PATH.equals(path)) {
      response =
          HttpMethod.POST.equals(method) ? mutate(ctx, request) : methodNotAllowed(ctx, "POST");
    } else {
      response =
          text(ctx, HttpResponseStatus.NOT_FOUND, "not found (expected: /mutate or /healthz)");
    }
    write(ctx, HttpUtil.isKeepAlive(request), response);
  }

  private FullHttpResponse mutate(ChannelHandlerContext ctx, FullHttpRequest request) {
    AdmissionReviews.Result result;
    try {
      result = reviews.review(new ByteBufInputStream(request.content()));
    } catch (AdmissionReviews.BadReviewException e) {
      rejected.increment();
      if (badInputLog.tryAcquire()) {
        LOG.info("rejected a request from {}: {}", ctx.channel().remoteAddress(), e.getMessage());
      }
      return text(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage());
    }
    outcomes.get(result.outcome()).increment();
    warnings.increment(result.review().getResponse().getWarnings().size());
    if (result.failure() != null && failureLog.tryAcquire()) {
      LOG.warn("queue-proxy not injected, pod allowed unmutated", result.failure());
    }
    byte[] body = serialization.asJson(result.review()).getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    return response;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent) {
      ctx.close();
      return;
    }
    if (evt instanceof SslHandshakeCompletionEvent
        && !((SslHandshakeCompletionEvent) evt).isSuccess()) {
      handshakeFailures.increment();
      if (handshakeLog.tryAcquire()) {
        LOG.warn(
            "TLS handshake with {} failed: {} (if this is the API server, the webhook's caBundle"
                + " does not match the serving certificate)",
            ctx.channel().remoteAddress(),
            ((SslHandshakeCompletionEvent) evt).cause().toString());
      }
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Handshake failures are reported above; anything else here is a broken connection.
    LOG.debug("webhook connection {} failed", ctx.channel().remoteAddress(), cause);
    ctx.close();
  }

  private static void write(
      ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response) {
    HttpUtil.setKeepAlive(response, keepAlive);
    ChannelFuture f = ctx.writeAndFlush(response);
    if (!keepAlive) {
      f.addListener(ChannelFutureListener.CLOSE);
    }
  }

  private static FullHttpResponse text(
      ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
    return TextResponses.of(ctx.alloc(), status, message);
  }

  private static FullHttpResponse methodNotAllowed(ChannelHandlerContext ctx, String allowed) {
    FullHttpResponse r =
        text(
            ctx,
            HttpResponseStatus.METHOD_NOT_ALLOWED,
            "method not allowed (expected: " + allowed + ")");
    r.headers().set(HttpHeaderNames.ALLOW, allowed);
    return r;
  }
}
