package dev.knetty.common.proxy;

import dev.knetty.common.net.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
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
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/** A small Netty origin on loopback that records what reaches it. */
final class TestOrigin implements AutoCloseable {

  /** What the origin saw of one request. */
  record Recorded(String method, String uri, HttpHeaders headers, String body, String connection) {}

  final AtomicInteger accepted = new AtomicInteger();
  final AtomicInteger closed = new AtomicInteger();
  final BlockingQueue<Recorded> requests = new LinkedBlockingQueue<>();
  final ChannelGroup channels = new DefaultChannelGroup(ImmediateEventExecutor.INSTANCE);
  private Channel server;

  private TestOrigin() {}

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  UpstreamTarget target() {
    return UpstreamTarget.of("127.0.0.1", port());
  }

  /** HTTP/1.1; {@code app} gets the decoded (streamed) HTTP objects of each connection. */
  static TestOrigin http1(EventLoopGroup group, Supplier<ChannelHandler> app) {
    return http1(group, app, true);
  }

  /** As {@link #http1(EventLoopGroup, Supplier)}; with {@code autoRead} false {@code app} reads. */
  static TestOrigin http1(EventLoopGroup group, Supplier<ChannelHandler> app, boolean autoRead) {
    return start(
        group, autoRead, (origin, ch) -> ch.pipeline().addLast(new HttpServerCodec(), app.get()));
  }

  /** HTTP/1.1 answering every (aggregated) request with {@code responder}. */
  static TestOrigin http1(
      EventLoopGroup group, Function<FullHttpRequest, FullHttpResponse> responder) {
    return start(
        group,
        true,
        (origin, ch) ->
            ch.pipeline()
                .addLast(
                    new HttpServerCodec(),
                    new HttpObjectAggregator(16 << 20),
                    origin.recorder(ch.id().asShortText(), responder)));
  }

  /** h2c with prior knowledge, answering every stream's request with {@code responder}. */
  static TestOrigin h2c(
      EventLoopGroup group, Function<FullHttpRequest, FullHttpResponse> responder) {
    return start(
        group,
        true,
        (origin, ch) ->
            ch.pipeline()
                .addLast(
                    Http2FrameCodecBuilder.forServer().build(),
                    new Http2MultiplexHandler(
                        new ChannelInitializer<Http2StreamChannel>() {
                          @Override
                          protected void initChannel(Http2StreamChannel stream) {
                            stream
                                .pipeline()
                                .addLast(
                                    new Http2StreamFrameToHttpObjectCodec(true),
                                    new HttpObjectAggregator(16 << 20),
                                    origin.recorder(ch.id().asShortText(), responder));
                          }
                        })));
  }

  /** h2c with prior knowledge; {@code app} gets each stream's decoded (streamed) HTTP objects. */
  static TestOrigin h2cStreams(EventLoopGroup group, Supplier<ChannelHandler> app) {
    return start(
        group,
        true,
        (origin, ch) ->
            ch.pipeline()
                .addLast(
                    Http2FrameCodecBuilder.forServer().build(),
                    new Http2MultiplexHandler(
                        new ChannelInitializer<Http2StreamChannel>() {
                          @Override
                          protected void initChannel(Http2StreamChannel stream) {
                            stream
                                .pipeline()
                                .addLast(new Http2StreamFrameToHttpObjectCodec(true), app.get());
                          }
                        })));
  }

  /** A websocket server on {@code path} that echoes text frames. */
  static TestOrigin websocketEcho(EventLoopGroup group, String path) {
    return start(
        group,
        true,
        (origin, ch) ->
            ch.pipeline()
                .addLast(
                    new HttpServerCodec(),
                    new HttpObjectAggregator(1 << 16),
                    new WebSocketServerProtocolHandler(path),
                    new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                      @Override
                      protected void channelRead0(
                          ChannelHandlerContext ctx, TextWebSocketFrame frame) {
                        ctx.writeAndFlush(new TextWebSocketFrame("echo:" + frame.text()));
                      }
                    }));
  }

  private static TestOrigin start(
      EventLoopGroup group, boolean autoRead, BiConsumer<TestOrigin, Channel> pipeline) {
    TestOrigin origin = new TestOrigin();
    origin.server =
        new ServerBootstrap()
            .group(group)
            .channel(Transport.fromEnvironment().serverChannelClass())
            .childOption(ChannelOption.AUTO_READ, autoRead)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    origin.accepted.incrementAndGet();
                    origin.channels.add(ch);
                    ch.closeFuture().addListener(f -> origin.closed.incrementAndGet());
                    pipeline.accept(origin, ch);
                  }
                })
            .bind("127.0.0.1", 0)
            .syncUninterruptibly()
            .channel();
    return origin;
  }

  /** A 200 with {@code body} (and the connection id in {@code x-origin-connection}). */
  static FullHttpResponse text(String body) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.OK,
            Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
    HttpUtil.setContentLength(response, response.content().readableBytes());
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
    return response;
  }

  private ChannelHandler recorder(
      String connection, Function<FullHttpRequest, FullHttpResponse> responder) {
    return new SimpleChannelInboundHandler<FullHttpRequest>() {
      @Override
      protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        requests.add(
            new Recorded(
                req.method().name(),
                req.uri(),
                new DefaultHttpHeaders().add(req.headers()),
                req.content().toString(StandardCharsets.UTF_8),
                connection));
        FullHttpResponse response = responder.apply(req);
        if (response != null) {
          response.headers().set("x-origin-connection", connection);
          ctx.writeAndFlush(response);
        }
      }
    };
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    channels.close().awaitUninterruptibly();
  }
}
