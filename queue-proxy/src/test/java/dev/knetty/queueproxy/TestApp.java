package dev.knetty.queueproxy;

import dev.knetty.common.net.PipelineNames;
import dev.knetty.common.net.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;

/**
 * The app behind the queue-proxy in tests: HTTP/1.1, h2c (prior knowledge) and a websocket echo on
 * one loopback port. It records what reaches it and how many requests it serves at once.
 *
 * <ul>
 *   <li>{@code /hold...}: parked until {@link #releaseAll()} or {@link #releaseOne()}
 *   <li>{@code /sleep/N}: answered after N ms
 *   <li>{@code /stream/N/MS}: a chunked response, its head at once, then N chunks MS ms apart
 *   <li>{@code /status/N}: answered with status N
 *   <li>{@code /healthz}: answered with {@link #healthStatus} (not recorded, not counted)
 *   <li>{@code /redirect/N}: {@code 302} to {@code /redirect/N-1}, {@code 200} at 0
 *   <li>{@code /loop}: {@code 302} to itself
 *   <li>{@code /ws}: websocket echo ({@code echo:<text>})
 *   <li>anything else: {@code 200 ok}
 * </ul>
 */
final class TestApp implements AutoCloseable {

  /** What the app saw of one request. */
  record Seen(String method, String uri, HttpHeaders headers, boolean h2) {}

  final BlockingQueue<Seen> requests = new LinkedBlockingQueue<>();
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger maxInFlight = new AtomicInteger();
  final AtomicInteger served = new AtomicInteger();
  final AtomicInteger healthStatus = new AtomicInteger(200);
  final AtomicInteger healthChecks = new AtomicInteger();
  private final ConcurrentLinkedQueue<Runnable> held = new ConcurrentLinkedQueue<>();
  private final ChannelGroup channels = new DefaultChannelGroup(ImmediateEventExecutor.INSTANCE);
  private final EventLoopGroup group;
  private final Channel server;

  private TestApp(Transport transport, int port, SslContext tls) {
    group = transport.newEventLoopGroup(1, "test-app");
    server =
        new ServerBootstrap()
            .group(group)
            .channel(transport.serverChannelClass())
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    channels.add(ch);
                    if (tls != null) {
                      ch.pipeline().addLast(PipelineNames.SSL, tls.newHandler(ch.alloc()));
                    }
                    ch.pipeline().addLast(new Detector());
                  }
                })
            .bind("127.0.0.1", port)
            .syncUninterruptibly()
            .channel();
  }

  static TestApp start(Transport transport) {
    return new TestApp(transport, 0, null);
  }

  /** An app on a given port (e.g. one a probe already polls). */
  static TestApp start(Transport transport, int port) {
    return new TestApp(transport, port, null);
  }

  /** An app speaking HTTPS with a self-signed certificate (test-app.p12). */
  static TestApp startTls(Transport transport) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = TestApp.class.getResourceAsStream("test-app.p12")) {
      keys.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, "changeit".toCharArray());
    return new TestApp(transport, 0, SslContextBuilder.forServer(kmf).build());
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Requests parked on {@code /hold}. */
  int heldCount() {
    return held.size();
  }

  void releaseOne() {
    Runnable r = held.poll();
    if (r != null) {
      r.run();
    }
  }

  void releaseAll() {
    for (Runnable r = held.poll(); r != null; r = held.poll()) {
      r.run();
    }
  }

  /** Stops listening and cuts every connection. */
  @Override
  public void close() {
    releaseAll();
    server.close().awaitUninterruptibly();
    channels.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  /** Picks HTTP/1.1 or h2c (prior knowledge) from the first bytes. */
  private final class Detector extends ByteToMessageDecoder {
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      ByteBuf preface = Http2CodecUtil.connectionPrefaceBuf();
      int n = Math.min(in.readableBytes(), preface.readableBytes());
      boolean h2 = ByteBufUtil.equals(in, in.readerIndex(), preface, preface.readerIndex(), n);
      preface.release();
      if (h2 && n < 24) {
        return; // need more bytes
      }
      if (h2) {
        ctx.pipeline()
            .addAfter(
                ctx.name(),
                PipelineNames.HTTP2_FRAME_CODEC,
                Http2FrameCodecBuilder.forServer().build())
            .addAfter(
                PipelineNames.HTTP2_FRAME_CODEC,
                PipelineNames.HTTP2_MULTIPLEX,
                new Http2MultiplexHandler(
                    new ChannelInitializer<Http2StreamChannel>() {
                      @Override
                      protected void initChannel(Http2StreamChannel ch) {
                        ch.pipeline()
                            .addLast(
                                new Http2StreamFrameToHttpObjectCodec(true),
                                new HttpObjectAggregator(1 << 20),
                                new Handler(true));
                      }
                    }));
      } else {
        ctx.pipeline()
            .addAfter(ctx.name(), null, new Handler(false))
            .addAfter(ctx.name(), null, new WsEcho())
            .addAfter(ctx.name(), null, new WebSocketServerProtocolHandler("/ws"))
            .addAfter(ctx.name(), null, new HttpObjectAggregator(1 << 20))
            .addAfter(ctx.name(), null, new HttpServerCodec());
      }
      ctx.pipeline().remove(this);
    }
  }

  private static final class WsEcho extends SimpleChannelInboundHandler<TextWebSocketFrame> {
    WsEcho() {
      super(false);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
      String text = frame.text();
      frame.release();
      ctx.writeAndFlush(new TextWebSocketFrame("echo:" + text));
    }
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final boolean h2;

    Handler(boolean h2) {
      this.h2 = h2;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      QueryStringDecoder q = new QueryStringDecoder(req.uri());
      String path = q.path();
      if (path.equals("/healthz")) {
        healthChecks.incrementAndGet();
      } else {
        requests.add(
            new Seen(
                req.method().name(), req.uri(), new DefaultHttpHeaders().add(req.headers()), h2));
      }
      boolean counted = !path.equals("/healthz");
      if (counted) {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
      }
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      if (path.startsWith("/hold")) {
        held.add(
            () ->
                ctx.executor()
                    .execute(() -> respond(ctx, 200, "released", null, keepAlive, counted)));
      } else if (path.startsWith("/sleep/")) {
        long ms = Long.parseLong(path.substring("/sleep/".length()));
        ctx.executor()
            .schedule(
                () -> respond(ctx, 200, "slept", null, keepAlive, counted),
                ms,
                TimeUnit.MILLISECONDS);
      } else if (path.startsWith("/stream/")) {
        // /stream/N/MS: the head at once, then N chunks MS ms apart.
        String[] parts = path.split("/");
        stream(ctx, Integer.parseInt(parts[2]), Long.parseLong(parts[3]), counted);
      } else if (path.startsWith("/status/")) {
        int code = Integer.parseInt(path.substring("/status/".length()));
        respond(ctx, code, "status", null, keepAlive, counted);
      } else if (path.equals("/healthz")) {
        respond(ctx, healthStatus.get(), "health", null, keepAlive, counted);
      } else if (path.startsWith("/redirect/")) {
        int n = Integer.parseInt(path.substring("/redirect/".length()));
        if (n == 0) {
          respond(ctx, 200, "arrived", null, keepAlive, counted);
        } else {
          respond(ctx, 302, "", "/redirect/" + (n - 1), keepAlive, counted);
        }
      } else if (path.equals("/loop")) {
        respond(ctx, 302, "", "/loop", keepAlive, counted);
      } else {
        respond(ctx, 200, "ok", null, keepAlive, counted);
      }
    }

    private void stream(ChannelHandlerContext ctx, int chunks, long intervalMs, boolean counted) {
      HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      HttpUtil.setTransferEncodingChunked(head, true);
      ctx.writeAndFlush(head);
      sendChunk(ctx, chunks, intervalMs, counted);
    }

    private void sendChunk(ChannelHandlerContext ctx, int left, long intervalMs, boolean counted) {
      if (left == 0) {
        if (counted) {
          inFlight.decrementAndGet();
          served.incrementAndGet();
        }
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        return;
      }
      ctx.executor()
          .schedule(
              () -> {
                ctx.writeAndFlush(
                    new DefaultHttpContent(
                        Unpooled.copiedBuffer("chunk" + left + ";", StandardCharsets.UTF_8)));
                sendChunk(ctx, left - 1, intervalMs, counted);
              },
              intervalMs,
              TimeUnit.MILLISECONDS);
    }

    private void respond(
        ChannelHandlerContext ctx,
        int status,
        String body,
        String location,
        boolean keepAlive,
        boolean counted) {
      FullHttpResponse response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1,
              HttpResponseStatus.valueOf(status),
              Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
      if (location != null) {
        response.headers().set(HttpHeaderNames.LOCATION, location);
      }
      if (!h2) {
        HttpUtil.setKeepAlive(response, keepAlive);
      }
      if (counted) {
        inFlight.decrementAndGet();
        served.incrementAndGet();
      }
      ctx.writeAndFlush(response)
          .addListener(
              f -> {
                if (!h2 && !keepAlive) {
                  ctx.close();
                }
              });
    }
  }
}
