package dev.knetty.bench.sampleapp;

import dev.knetty.common.http.TextResponses;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one HTTP/1.1 connection, or one HTTP/2 stream (behind {@code
 * Http2StreamFrameToHttpObjectCodec}). Request bodies are read and discarded, never aggregated; the
 * answer starts once the request is complete. Sleeps are timers on the event loop; {@code prime}
 * and {@code bloat} run on the app's bounded work executor.
 *
 * <p>HTTP/1.1 answers one request at a time: reading pauses (autoRead off) while a request is
 * answered, and requests that a client pipelined anyway wait in a short queue.
 */
final class SampleAppHandler extends ChannelInboundHandlerAdapter {

  private static final Logger LOG = LoggerFactory.getLogger(SampleAppHandler.class);

  /** Pipelined HTTP/1.1 requests that may wait behind the one being answered. */
  private static final int MAX_PIPELINED = 16;

  private static final AsciiString TEXT_EVENT_STREAM = AsciiString.cached("text/event-stream");

  // Where each part of a combined answer goes: Knative's usual output order.
  private static final int BLOAT = 0;
  private static final int PRIME = 1;
  private static final int SLEEP = 2;

  private final SampleApp app;
  private final boolean http1;
  private final ArrayDeque<Pending> pipelined = new ArrayDeque<>();
  private Pending reading;
  private Exchange current;
  private boolean draining;

  private record Pending(String uri, boolean keepAlive) {}

  /** The request being answered. */
  private static final class Exchange {
    final boolean keepAlive;
    final String[] lines = new String[3];
    int pendingParts;
    boolean done;
    ScheduledFuture<?> timer;

    Exchange(boolean keepAlive) {
      this.keepAlive = keepAlive;
    }
  }

  SampleAppHandler(SampleApp app, boolean http1) {
    this.app = Objects.requireNonNull(app, "app");
    this.http1 = http1;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (!(msg instanceof HttpObject)) {
        return;
      }
      if (msg instanceof HttpRequest) {
        HttpRequest request = (HttpRequest) msg;
        if (request.decoderResult().isFailure()) {
          badRequest(ctx, request.decoderResult().cause());
          return;
        }
        reading = new Pending(request.uri(), HttpUtil.isKeepAlive(request));
      }
      if (msg instanceof LastHttpContent && reading != null) {
        Pending pending = reading;
        reading = null;
        if (current == null) {
          start(ctx, pending);
        } else if (pipelined.size() < MAX_PIPELINED) {
          pipelined.add(pending);
        } else {
          ctx.close();
        }
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void badRequest(ChannelHandlerContext ctx, Throwable cause) {
    if (current != null) {
      ctx.close();
      return;
    }
    ctx.writeAndFlush(
            TextResponses.of(
                ctx.alloc(), HttpResponseStatus.BAD_REQUEST, "bad request: " + cause.getMessage()))
        .addListener(ChannelFutureListener.CLOSE);
  }

  private void start(ChannelHandlerContext ctx, Pending pending) {
    app.requestStarted();
    current = new Exchange(pending.keepAlive());
    if (http1) {
      ctx.channel().config().setAutoRead(false);
    }
    try {
      QueryStringDecoder query = new QueryStringDecoder(pending.uri());
      switch (query.path()) {
        case "/healthz":
          finish(ctx, HttpResponseStatus.OK, "ok");
          break;
        case "/sse":
          sse(ctx, Workload.parseSse(query.parameters(), app.config()));
          break;
        case "/ws":
          // Websocket handshakes are taken over by the websocket handler before they get here.
          finish(
              ctx,
              HttpResponseStatus.BAD_REQUEST,
              "ws: expected a websocket upgrade (HTTP/1.1 GET with Upgrade: websocket)");
          break;
        default:
          work(ctx, Workload.parse(query.parameters(), app.config()));
      }
    } catch (IllegalArgumentException e) {
      finish(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage());
    }
  }

  private void work(ChannelHandlerContext ctx, Workload workload) {
    if (workload.isEmpty()) {
      finish(ctx, HttpResponseStatus.OK, "Hello World!");
      return;
    }
    Exchange exchange = current;
    // Count every part before starting any, so a part that completes at once cannot finish early.
    exchange.pendingParts =
        (workload.sleep().isZero() ? 0 : 1)
            + (workload.prime() > 0 ? 1 : 0)
            + (workload.bloatMb() > 0 ? 1 : 0);
    if (!workload.sleep().isZero()) {
      long started = System.nanoTime();
      exchange.timer =
          ctx.executor()
              .schedule(
                  () -> part(ctx, exchange, SLEEP, Workload.slept(System.nanoTime() - started)),
                  workload.sleep().toNanos(),
                  TimeUnit.NANOSECONDS);
    }
    if (workload.prime() > 0) {
      offload(ctx, exchange, PRIME, "prime", () -> Workload.prime(workload.prime()));
    }
    if (workload.bloatMb() > 0) {
      offload(ctx, exchange, BLOAT, "bloat", () -> Workload.bloat(workload.bloatMb()));
    }
  }

  private void offload(
      ChannelHandlerContext ctx, Exchange exchange, int index, String name, Supplier<String> task) {
    if (exchange.done) {
      return;
    }
    try {
      app.work()
          .execute(
              () -> {
                String line;
                try {
                  line = task.get();
                } catch (OutOfMemoryError e) {
                  line = null;
                }
                String result = line;
                try {
                  ctx.executor()
                      .execute(
                          () -> {
                            if (result == null) {
                              fail(ctx, exchange, name + ": out of memory");
                            } else {
                              part(ctx, exchange, index, result);
                            }
                          });
                } catch (RejectedExecutionException e) {
                  // The event loop is shutting down; the connection goes with it.
                }
              });
    } catch (RejectedExecutionException e) {
      fail(
          ctx,
          exchange,
          name + ": too many requests wait for CPU (" + app.config().workQueue() + " queued)");
    }
  }

  private void part(ChannelHandlerContext ctx, Exchange exchange, int index, String line) {
    if (exchange.done) {
      return;
    }
    exchange.lines[index] = line;
    if (--exchange.pendingParts == 0) {
      StringJoiner body = new StringJoiner("\n");
      for (String l : exchange.lines) {
        if (l != null) {
          body.add(l);
        }
      }
      finish(ctx, HttpResponseStatus.OK, body.toString());
    }
  }

  private void fail(ChannelHandlerContext ctx, Exchange exchange, String message) {
    if (!exchange.done) {
      finish(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, message);
    }
  }

  /** Writes a complete text answer (Go {@code http.Error} style) to the current exchange. */
  private void finish(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
    Exchange exchange = current;
    if (exchange == null || exchange.done) {
      return;
    }
    markDone(exchange);
    FullHttpResponse response = TextResponses.of(ctx.alloc(), status, message);
    boolean close = closeAfter(exchange);
    if (close) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    ChannelFuture written = ctx.writeAndFlush(response);
    complete(ctx, close ? written : null);
  }

  private void sse(ChannelHandlerContext ctx, Workload.Sse sse) {
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, TEXT_EVENT_STREAM)
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
    HttpUtil.setTransferEncodingChunked(head, true);
    ctx.write(head);
    sseEvent(ctx, current, sse, 1);
  }

  private void sseEvent(ChannelHandlerContext ctx, Exchange exchange, Workload.Sse sse, int n) {
    if (exchange.done) {
      return;
    }
    ByteBuf event =
        ByteBufUtil.writeUtf8(
            ctx.alloc(), "id: " + n + "\ndata: event " + n + " of " + sse.events() + "\n\n");
    if (n < sse.events()) {
      ctx.writeAndFlush(new DefaultHttpContent(event));
      exchange.timer =
          ctx.executor()
              .schedule(
                  () -> sseEvent(ctx, exchange, sse, n + 1),
                  sse.interval().toNanos(),
                  TimeUnit.NANOSECONDS);
      return;
    }
    markDone(exchange);
    ctx.write(new DefaultHttpContent(event));
    ChannelFuture written = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    complete(ctx, closeAfter(exchange) ? written : null);
  }

  private boolean closeAfter(Exchange exchange) {
    return http1 && (!exchange.keepAlive || draining);
  }

  private static void markDone(Exchange exchange) {
    exchange.done = true;
    if (exchange.timer != null) {
      exchange.timer.cancel(false);
    }
  }

  /** The current exchange is answered: close, or go on with the next request. */
  private void complete(ChannelHandlerContext ctx, ChannelFuture closeWhenWritten) {
    current = null;
    app.requestFinished();
    if (closeWhenWritten != null) {
      pipelined.clear();
      closeWhenWritten.addListener(ChannelFutureListener.CLOSE);
      return;
    }
    if (!http1) {
      return;
    }
    Pending next = pipelined.poll();
    if (next != null) {
      start(ctx, next);
    } else {
      ctx.channel().config().setAutoRead(true);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Exchange exchange = current;
    if (exchange != null && !exchange.done) {
      markDone(exchange);
      current = null;
      app.requestFinished();
    }
    pipelined.clear();
    ctx.fireChannelInactive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == SampleApp.Drain.INSTANCE) {
      draining = true;
      if (current == null) {
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("closing {} after an error", ctx.channel(), cause);
    ctx.close();
  }
}
