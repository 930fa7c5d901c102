package dev.knetty.common.proxy;

import dev.knetty.common.http.TextResponses;
import dev.knetty.common.net.PipelineNames;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-request handler, the same for an HTTP/1.1 connection (its exchanges one after the other)
 * and for an h2 stream (one exchange). AutoRead is off: it reads one message when the current
 * exchange wants one, which is how the request body follows the upstream's pace. Between exchanges
 * of an HTTP/1.1 connection it discards what is left of an unconsumed request body and watches the
 * keep-alive and drain rules.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter {

  private static final Logger LOG = LoggerFactory.getLogger(ClientHandler.class);

  private final ProxyContext px;
  private final HttpServerCodec codec;
  private final ConnectionTimeoutHandler timeouts;
  private final boolean h2;
  private ChannelHandlerContext ctx;
  private Exchange current;
  private HttpRequest stashed;
  private boolean readPending;
  private boolean discarding;
  private long discarded;
  private boolean tunnel;

  /**
   * @param codec the HTTP/1.1 codec, or {@code null} on an h2 stream
   * @param timeouts the HTTP/1.1 connection timeouts, or {@code null} on an h2 stream
   */
  ClientHandler(ProxyContext px, HttpServerCodec codec, ConnectionTimeoutHandler timeouts) {
    this.px = px;
    this.codec = codec;
    this.timeouts = timeouts;
    this.h2 = codec == null;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (ctx.channel().isActive()) {
      requestRead();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    requestRead();
    ctx.fireChannelActive();
  }

  /** Asks for one more message unless a read is outstanding. */
  void requestRead() {
    if (!readPending) {
      readPending = true;
      ctx.read();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    readPending = false;
    Exchange ex = current;
    if (tunnel) {
      if (ex != null && msg instanceof ByteBuf) {
        ex.clientTunnelData((ByteBuf) msg);
      } else {
        ReferenceCountUtil.release(msg);
      }
      return;
    }
    if (msg instanceof Http2ResetFrame) {
      if (ex != null) {
        ex.clientClosed(
            new IOException("client reset the stream: " + ((Http2ResetFrame) msg).errorCode()));
      }
      ctx.close();
      return;
    }
    if (!(msg instanceof HttpObject)) {
      // Another HTTP/2 stream frame (an extension): nothing to relay; the read it used is renewed.
      ReferenceCountUtil.release(msg);
      requestRead();
      return;
    }
    if (discarding) {
      discard(msg);
      return;
    }
    if (ex != null) {
      if (!ex.requestComplete() && msg instanceof HttpContent && !(msg instanceof HttpRequest)) {
        ex.clientContent((HttpContent) msg);
      } else if (!h2 && stashed == null && msg instanceof HttpRequest && ex.requestComplete()) {
        // A pipelined request, read while watching for the client to go away.
        stashed = (HttpRequest) msg;
      } else {
        ReferenceCountUtil.release(msg);
        ex.clientClosed(new IOException("unexpected " + msg.getClass().getSimpleName()));
        ctx.close();
      }
      return;
    }
    if (msg instanceof HttpRequest) {
      startExchange((HttpRequest) msg);
    } else {
      ReferenceCountUtil.release(msg);
      ctx.close();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // FlowControlHandler forgets a read() it could not satisfy when a socket read completes,
    // although the transport still reads: ask again so the next message is delivered.
    if (readPending && !h2) {
      readPending = false;
      requestRead();
    }
    ctx.fireChannelReadComplete();
  }

  private void startExchange(HttpRequest request) {
    if (request.decoderResult().isFailure()) {
      reject(request);
      return;
    }
    if (timeouts != null) {
      timeouts.requestStarted();
    }
    Exchange ex =
        new Exchange(
            px,
            this,
            ctx.channel(),
            request,
            h2 ? ProxyExchange.Protocol.H2C : ProxyExchange.Protocol.HTTP_1_1);
    current = ex;
    ex.start();
  }

  /** A malformed or oversized request head: Go's answer, then close (the codec gave up). */
  private void reject(HttpRequest request) {
    Throwable cause = request.decoderResult().cause();
    ReferenceCountUtil.release(request);
    px.requestRejected();
    if (timeouts != null) {
      timeouts.requestStarted();
    }
    HttpResponseStatus status =
        cause instanceof TooLongFrameException
            ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
            : HttpResponseStatus.BAD_REQUEST;
    LOG.debug("rejecting request on {}: {}", ctx.channel(), String.valueOf(cause));
    FullHttpResponse response =
        TextResponses.plain(ctx.alloc(), status, status.code() + " " + status.reasonPhrase());
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  private void discard(Object msg) {
    if (!(msg instanceof HttpContent) || msg instanceof HttpRequest) {
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    HttpContent content = (HttpContent) msg;
    discarded += content.content().readableBytes();
    boolean last = content instanceof LastHttpContent;
    content.release();
    if (last) {
      discarding = false;
      awaitNextRequest();
    } else if (discarded > px.config.maxDiscardBytes()) {
      ctx.close();
    } else {
      requestRead();
    }
  }

  /** Called by the exchange when it completed (its outcome was reported). */
  void exchangeDone(Exchange ex, boolean requestComplete, boolean close) {
    if (current != ex) {
      return;
    }
    current = null;
    if (tunnel) {
      return;
    }
    if (close) {
      // The response said Connection: close (and it has been written).
      ctx.close();
    }
    if (!ctx.channel().isActive()) {
      releaseStash();
      return;
    }
    if (h2) {
      if (!requestComplete) {
        // The rest of the request body is not wanted: reset the stream.
        ctx.close();
      }
      return;
    }
    if (!requestComplete) {
      discarding = true;
      discarded = 0;
      requestRead();
      return;
    }
    awaitNextRequest();
  }

  private void awaitNextRequest() {
    if (stashed != null) {
      HttpRequest next = stashed;
      stashed = null;
      startExchange(next);
      return;
    }
    timeouts.awaitingRequest();
    if (px.draining()) {
      ctx.close();
      return;
    }
    requestRead();
  }

  /** Drain on an HTTP/1.1 connection: close it now if it is idle between requests. */
  void drain() {
    if (!h2
        && current == null
        && stashed == null
        && !discarding
        && timeouts != null
        && timeouts.idle()) {
      ctx.close();
    }
  }

  /** After a 101: the HTTP/1.1 handlers leave and the connection carries raw bytes. */
  void switchToTunnel() {
    tunnel = true;
    ChannelPipeline p = ctx.pipeline();
    removeIfPresent(p, PipelineNames.PROXY_CONNECTION_TIMEOUTS);
    // Queued messages and undecoded bytes are handed to us (as tunnel data) as the handlers go.
    removeIfPresent(p, PipelineNames.PROXY_FLOW_CONTROL);
    if (p.context(codec) != null) {
      p.remove(codec);
    }
  }

  private static void removeIfPresent(ChannelPipeline p, String name) {
    ChannelHandler handler = p.get(name);
    if (handler != null) {
      p.remove(handler);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Exchange ex = current;
    if (ex != null) {
      ex.clientWritabilityChanged(ctx.channel().isWritable());
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    readPending = false;
    releaseStash();
    Exchange ex = current;
    if (ex != null) {
      ex.clientClosed(null);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("client channel {} failed", ctx.channel(), cause);
    Exchange ex = current;
    if (ex != null) {
      ex.clientClosed(cause);
    }
    ctx.close();
  }

  private void releaseStash() {
    if (stashed != null) {
      ReferenceCountUtil.release(stashed);
      stashed = null;
    }
  }
}
