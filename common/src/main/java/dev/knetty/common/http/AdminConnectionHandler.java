package dev.knetty.common.http;

import dev.knetty.common.http.AdminRejections.Reason;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One admin connection: routes each aggregated request to its handler and writes the response back
 * on the event loop. The channel runs with {@code autoRead} off and a {@code FlowControlHandler} in
 * front, and this handler asks for the next request only after the previous response was written:
 * one request at a time, so pipelined requests are answered in order even when a handler answers
 * minutes later.
 */
final class AdminConnectionHandler extends ChannelInboundHandlerAdapter {

  private static final Logger LOG = LoggerFactory.getLogger(AdminConnectionHandler.class);

  /** User event: the server is closing; close once the request in progress is answered. */
  static final Object GRACEFUL_CLOSE = new Object();

  private final AdminRoutes routes;
  private final AtomicBoolean serverClosing;
  private final AdminRejections rejections;

  // Event-loop confined.
  private boolean busy;
  private boolean closeRequested;
  private boolean wantsRequest;

  AdminConnectionHandler(
      AdminRoutes routes, AtomicBoolean serverClosing, AdminRejections rejections) {
    this.routes = routes;
    this.serverClosing = serverClosing;
    this.rejections = rejections;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (serverClosing.get()) {
      // Accepted while the server was closing, after it told its connections to close.
      ctx.close();
      return;
    }
    readNext(ctx);
    ctx.fireChannelActive();
  }

  private void readNext(ChannelHandlerContext ctx) {
    wantsRequest = true;
    ctx.read();
  }

  /**
   * A read cycle ended without bringing a request (a partial one, or our read() was issued during
   * the cycle and {@code FlowControlHandler} counts it as satisfied): ask again.
   */
  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (wantsRequest) {
      ctx.read();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    wantsRequest = false;
    FullHttpRequest request = (FullHttpRequest) msg;
    AdminRequest adminRequest;
    boolean keepAlive;
    try {
      DecoderResult result = request.decoderResult();
      if (result.isFailure()) {
        rejectAndClose(ctx, result.cause());
        return;
      }
      keepAlive = HttpUtil.isKeepAlive(request);
      QueryStringDecoder query = new QueryStringDecoder(request.uri());
      adminRequest =
          new AdminRequest(
              request.method(),
              request.uri(),
              query.path(),
              query.parameters(),
              request.headers(),
              ByteBufUtil.getBytes(request.content()),
              ctx.alloc(),
              ctx.channel().eventLoop(),
              ctx.channel().remoteAddress());
    } catch (IllegalArgumentException e) {
      // A malformed percent-escape in the path or query.
      rejectAndClose(ctx, e);
      return;
    } finally {
      request.release();
    }
    busy = true;
    dispatch(ctx, adminRequest, keepAlive);
  }

  private void dispatch(ChannelHandlerContext ctx, AdminRequest request, boolean keepAlive) {
    AdminHandler handler = routes.find(request.method(), request.path());
    if (handler == null) {
      String allow = routes.allow(request.path());
      Reason reason = allow == null ? Reason.NOT_FOUND : Reason.METHOD_NOT_ALLOWED;
      rejections.count(reason);
      FullHttpResponse response = TextResponses.of(ctx.alloc(), reason.status, reason.message);
      if (allow != null) {
        response.headers().set(HttpHeaderNames.ALLOW, allow);
      }
      respond(ctx, request, keepAlive, response, null);
      return;
    }
    CompletionStage<FullHttpResponse> stage;
    try {
      stage = handler.handle(request);
      if (stage == null) {
        stage = CompletableFuture.failedFuture(new NullPointerException("handler returned null"));
      }
    } catch (Exception e) {
      stage = CompletableFuture.failedFuture(e);
    }
    stage.whenComplete(
        (response, failure) -> {
          if (ctx.executor().inEventLoop()) {
            respond(ctx, request, keepAlive, response, failure);
            return;
          }
          try {
            ctx.executor().execute(() -> respond(ctx, request, keepAlive, response, failure));
          } catch (RejectedExecutionException e) {
            // The event loop is gone, and with it the connection.
            ReferenceCountUtil.release(response);
          }
        });
  }

  private void respond(
      ChannelHandlerContext ctx,
      AdminRequest request,
      boolean keepAlive,
      FullHttpResponse response,
      Throwable failure) {
    busy = false;
    if (failure != null || response == null) {
      Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
      LOG.warn("Admin handler for {} failed", request, cause);
      rejections.count(Reason.HANDLER_FAILED);
      ReferenceCountUtil.release(response);
      response =
          TextResponses.of(
              ctx.alloc(), Reason.HANDLER_FAILED.status, Reason.HANDLER_FAILED.message);
    }
    if (!ctx.channel().isActive()) {
      response.release();
      return;
    }
    boolean keep = keepAlive && !closeRequested && !serverClosing.get();
    HttpUtil.setKeepAlive(response, keep);
    if (!response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
      response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
      HttpUtil.setContentLength(response, response.content().readableBytes());
    }
    if (keep) {
      ctx.writeAndFlush(response)
          .addListener(
              (ChannelFutureListener)
                  f -> {
                    if (f.isSuccess()) {
                      readNext(ctx);
                    } else {
                      ctx.close();
                    }
                  });
    } else {
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** Answers a request the decoder could not parse, then closes: the stream is not trustworthy. */
  private void rejectAndClose(ChannelHandlerContext ctx, Throwable cause) {
    Reason reason;
    if (cause instanceof TooLongHttpLineException) {
      reason = Reason.URI_TOO_LONG;
    } else if (cause instanceof TooLongHttpHeaderException) {
      reason = Reason.HEADERS_TOO_LARGE;
    } else {
      reason = Reason.BAD_REQUEST;
    }
    rejections.count(reason);
    LOG.debug("Bad admin request from {}", ctx.channel().remoteAddress(), cause);
    String message =
        reason == Reason.BAD_REQUEST && cause != null && cause.getMessage() != null
            ? reason.message + ": " + cause.getMessage()
            : reason.message;
    FullHttpResponse response = TextResponses.of(ctx.alloc(), reason.status, message);
    HttpUtil.setKeepAlive(response, false);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      // A connection waiting for its handler is not idle.
      if (!busy) {
        ctx.close();
      }
      return;
    }
    if (evt == GRACEFUL_CLOSE) {
      closeRequested = true;
      if (!busy) {
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("Admin connection {} failed", ctx.channel(), cause);
    ctx.close();
  }
}
