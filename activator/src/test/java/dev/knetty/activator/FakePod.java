package dev.knetty.activator;

import dev.knetty.common.http.KnativeHeaders;
import dev.knetty.common.net.Transport;
import dev.knetty.common.proxy.UpstreamTarget;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A revision pod as the activator sees it: a queue-proxy on loopback speaking HTTP/1.1 and h2c
 * (prior knowledge) on one port. It answers {@code K-Network-Probe: queue} with 200 {@code queue}
 * while {@link #healthy}, records every other request, tracks how many run at once, and can hold
 * responses until {@link #releaseAll()}. {@code /ws} is a websocket echo.
 */
final class FakePod implements AutoCloseable {

  /** What the pod saw of one request. */
  record Seen(String method, String uri, HttpHeaders headers, String body) {}

  final AtomicBoolean healthy = new AtomicBoolean(true);
  final AtomicInteger probes = new AtomicInteger();
  final AtomicReference<String> probeBody = new AtomicReference<>("queue");
  final BlockingQueue<Seen> probeRequests = new LinkedBlockingQueue<>();
  final AtomicInteger active = new AtomicInteger();
  final AtomicInteger maxActive = new AtomicInteger();
  final AtomicBoolean hold = new AtomicBoolean();
  final BlockingQueue<Seen> requests = new LinkedBlockingQueue<>();
  private final Queue<Runnable> held = new ArrayDeque<>();
  private final ChannelGroup channels = new DefaultChannelGroup(ImmediateEventExecutor.INSTANCE);
  private final Channel server;

  FakePod(EventLoopGroup group) {
    this(group, group, NetUtil.SOMAXCONN);
  }

  /** A pod accepting on {@code acceptor} with a listen backlog of {@code backlog}. */
  FakePod(EventLoopGroup acceptor, EventLoopGroup group, int backlog) {
    ChannelHandler app = new App();
    server =
        new ServerBootstrap()
            .group(acceptor, group)
            .channel(Transport.fromEnvironment().serverChannelClass())
            .option(ChannelOption.SO_BACKLOG, backlog)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    channels.add(ch);
                    HttpServerCodec codec = new HttpServerCodec();
                    ch.pipeline()
                        .addLast(
                            new CleartextHttp2ServerUpgradeHandler(
                                codec,
                                new HttpServerUpgradeHandler(codec, protocol -> null),
                                new H2Setup(app)))
                        .addLast(new Http1Setup(app));
                  }
                })
            .bind("127.0.0.1", 0)
            .syncUninterruptibly()
            .channel();
  }

  /** Prior-knowledge h2c: the frame codec and multiplexer right here, then out of the way. */
  private static final class H2Setup extends ChannelInboundHandlerAdapter {
    private final ChannelHandler app;

    H2Setup(ChannelHandler app) {
      this.app = app;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      ctx.pipeline()
          .addAfter(ctx.name(), "h2Codec", Http2FrameCodecBuilder.forServer().build())
          .addAfter("h2Codec", "h2Multiplex", new Http2MultiplexHandler(streamInitializer(app)))
          .remove(this);
    }
  }

  /** HTTP/1.1: aggregated requests, websockets on /ws, the app; installed by the first request. */
  private static final class Http1Setup extends ChannelInboundHandlerAdapter {
    private final ChannelHandler app;

    Http1Setup(ChannelHandler app) {
      this.app = app;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpMessage) {
        ctx.pipeline()
            .addAfter(ctx.name(), "app", app)
            .addAfter(ctx.name(), "wsEcho", new WsEcho())
            .addAfter(ctx.name(), "ws", new WebSocketServerProtocolHandler("/ws", null, true))
            .addAfter(ctx.name(), "aggregator", new HttpObjectAggregator(1 << 20))
            .remove(this);
      }
      ctx.fireChannelRead(msg);
    }
  }

  private static ChannelHandler streamInitializer(ChannelHandler app) {
    return new ChannelInitializer<Http2StreamChannel>() {
      @Override
      protected void initChannel(Http2StreamChannel ch) {
        ch.pipeline()
            .addLast(new Http2StreamFrameToHttpObjectCodec(true))
            .addLast(new HttpObjectAggregator(1 << 20))
            .addLast(app);
      }
    };
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  UpstreamTarget target() {
    return UpstreamTarget.of("127.0.0.1", port());
  }

  /** {@code ip:port}, the way Knative sorts pods. */
  String dest() {
    return target().authority();
  }

  /** Answers every held request. */
  void releaseAll() {
    hold.set(false);
    Runnable r;
    while ((r = poll()) != null) {
      r.run();
    }
  }

  /** Answers one held request, if any; whether there was one. */
  boolean releaseOne() {
    Runnable r = poll();
    if (r != null) {
      r.run();
      return true;
    }
    return false;
  }

  int heldCount() {
    synchronized (held) {
      return held.size();
    }
  }

  private Runnable poll() {
    synchronized (held) {
      return held.poll();
    }
  }

  /** Stops listening (new connections are refused); open connections stay. */
  void stopListening() {
    server.close().syncUninterruptibly();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    channels.close().syncUninterruptibly();
  }

  @ChannelHandler.Sharable
  private final class App extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a client that resets (the prober after a timeout) is not a test failure
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      if (KnativeHeaders.PROBE_QUEUE.equals(req.headers().get(KnativeHeaders.NETWORK_PROBE))) {
        probes.incrementAndGet();
        probeRequests.add(
            new Seen(
                req.method().name(), req.uri(), new DefaultHttpHeaders().add(req.headers()), ""));
        boolean ok = healthy.get();
        respond(
            ctx,
            req,
            ok ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
            ok ? probeBody.get() : "");
        return;
      }
      int now = active.incrementAndGet();
      maxActive.accumulateAndGet(now, Math::max);
      String body = req.content().toString(StandardCharsets.UTF_8);
      requests.add(
          new Seen(
              req.method().name(), req.uri(), new DefaultHttpHeaders().add(req.headers()), body));
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      Runnable answer =
          () ->
              ctx.executor()
                  .execute(
                      () -> {
                        active.decrementAndGet();
                        FullHttpResponse response =
                            new DefaultFullHttpResponse(
                                HttpVersion.HTTP_1_1,
                                HttpResponseStatus.OK,
                                Unpooled.wrappedBuffer(
                                    ("pod " + port() + " " + body)
                                        .getBytes(StandardCharsets.UTF_8)));
                        HttpUtil.setContentLength(response, response.content().readableBytes());
                        HttpUtil.setKeepAlive(response, keepAlive);
                        ctx.writeAndFlush(response);
                      });
      synchronized (held) {
        if (hold.get()) {
          held.add(answer);
          return;
        }
      }
      answer.run();
    }
  }

  private static void respond(
      ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String body) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, status, ByteBufUtil.writeUtf8(ctx.alloc(), body));
    HttpUtil.setContentLength(response, response.content().readableBytes());
    HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(req));
    ctx.writeAndFlush(response);
  }

  /** Echoes websocket text frames. */
  private static final class WsEcho extends SimpleChannelInboundHandler<TextWebSocketFrame> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
      ctx.writeAndFlush(new TextWebSocketFrame("echo " + frame.text()));
    }
  }
}
