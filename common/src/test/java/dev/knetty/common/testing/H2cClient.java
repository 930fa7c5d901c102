package dev.knetty.common.testing;

import dev.knetty.common.net.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An h2c client with prior knowledge (the JDK client only does Upgrade), as gRPC clients and
 * Knative's activator speak it: many cheap concurrent requests over one connection, each on its own
 * stream, aggregated (up to 16 MiB) for the test to look at.
 */
public final class H2cClient implements AutoCloseable {

  /** A response: status, headers, the body as UTF-8, trailers. */
  public record Response(int status, HttpHeaders headers, String body, HttpHeaders trailers) {}

  private final EventLoopGroup ownGroup;
  private final Channel parent;
  private final AtomicBoolean goAwayReceived = new AtomicBoolean();

  /** Connects to {@code 127.0.0.1:port} on {@code group} (the caller shuts it down). */
  public H2cClient(EventLoopGroup group, int port) {
    this(group, null, Transport.fromEnvironment(), port);
  }

  /**
   * Connects to {@code 127.0.0.1:port} on an event loop of its own, shut down by {@link #close}.
   */
  public static H2cClient withOwnEventLoop(Transport transport, int port) {
    EventLoopGroup group = transport.newEventLoopGroup(1, "test-h2c");
    return new H2cClient(group, group, transport, port);
  }

  private H2cClient(EventLoopGroup group, EventLoopGroup ownGroup, Transport transport, int port) {
    this.ownGroup = ownGroup;
    parent =
        new Bootstrap()
            .group(group)
            .channel(transport.socketChannelClass())
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(
                            Http2FrameCodecBuilder.forClient().build(),
                            new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                            new ChannelInboundHandlerAdapter() {
                              @Override
                              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof Http2GoAwayFrame) {
                                  goAwayReceived.set(true);
                                }
                                ReferenceCountUtil.release(msg);
                              }
                            });
                  }
                })
            .connect("127.0.0.1", port)
            .syncUninterruptibly()
            .channel();
  }

  /** The connection. */
  public Channel channel() {
    return parent;
  }

  /** Whether the server sent GOAWAY. */
  public boolean goAwayReceived() {
    return goAwayReceived.get();
  }

  /** {@code GET path} with {@code Host: test} on a new stream. */
  public CompletableFuture<Response> get(String path) {
    return get("test", path);
  }

  /** {@code GET path} with {@code Host: host} on a new stream. */
  public CompletableFuture<Response> get(String host, String path) {
    FullHttpRequest request =
        new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
    request.headers().set(HttpHeaderNames.HOST, host);
    return send(request);
  }

  /** Sends {@code request} on a new stream (taking ownership of it). */
  public CompletableFuture<Response> send(FullHttpRequest request) {
    CompletableFuture<Response> result = new CompletableFuture<>();
    new Http2StreamChannelBootstrap(parent)
        .handler(
            new ChannelInitializer<Http2StreamChannel>() {
              @Override
              protected void initChannel(Http2StreamChannel ch) {
                ch.pipeline()
                    .addLast(
                        new Http2StreamFrameToHttpObjectCodec(false),
                        new HttpObjectAggregator(16 << 20),
                        new SimpleChannelInboundHandler<FullHttpResponse>() {
                          @Override
                          protected void channelRead0(
                              ChannelHandlerContext ctx, FullHttpResponse response) {
                            result.complete(
                                new Response(
                                    response.status().code(),
                                    new DefaultHttpHeaders().add(response.headers()),
                                    response.content().toString(StandardCharsets.UTF_8),
                                    new DefaultHttpHeaders().add(response.trailingHeaders())));
                          }

                          @Override
                          public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                            result.completeExceptionally(cause);
                            ctx.close();
                          }

                          @Override
                          public void channelInactive(ChannelHandlerContext ctx) {
                            result.completeExceptionally(new ClosedChannelException());
                          }
                        });
              }
            })
        .open()
        .addListener(
            f -> {
              if (f.isSuccess()) {
                ((Channel) f.getNow()).writeAndFlush(request);
              } else {
                request.release();
                result.completeExceptionally(f.cause());
              }
            });
    return result;
  }

  @Override
  public void close() {
    parent.close().syncUninterruptibly();
    if (ownGroup != null) {
      ownGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
