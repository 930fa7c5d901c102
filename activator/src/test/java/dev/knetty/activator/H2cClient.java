package dev.knetty.activator;

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
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/** An h2c client with prior knowledge: many cheap concurrent requests over one connection. */
final class H2cClient implements AutoCloseable {

  record Response(int status, HttpHeaders headers, String body) {}

  private final Channel parent;

  H2cClient(EventLoopGroup group, int port) {
    parent =
        new Bootstrap()
            .group(group)
            .channel(Transport.fromEnvironment().socketChannelClass())
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
                                ReferenceCountUtil.release(msg);
                              }
                            });
                  }
                })
            .connect("127.0.0.1", port)
            .syncUninterruptibly()
            .channel();
  }

  /** A GET with {@code host} on a new stream. */
  CompletableFuture<Response> get(String host, String path) {
    FullHttpRequest request =
        new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
    request.headers().set(HttpHeaderNames.HOST, host);
    return send(request);
  }

  /** Sends {@code request} on a new stream (taking ownership of it). */
  CompletableFuture<Response> send(FullHttpRequest request) {
    CompletableFuture<Response> result = new CompletableFuture<>();
    new Http2StreamChannelBootstrap(parent)
        .handler(
            new ChannelInitializer<Http2StreamChannel>() {
              @Override
              protected void initChannel(Http2StreamChannel ch) {
                ch.pipeline()
                    .addLast(
                        new Http2StreamFrameToHttpObjectCodec(false),
                        new HttpObjectAggregator(1 << 20),
                        new SimpleChannelInboundHandler<FullHttpResponse>() {
                          @Override
                          protected void channelRead0(
                              ChannelHandlerContext ctx, FullHttpResponse response) {
                            result.complete(
                                new Response(
                                    response.status().code(),
                                    new DefaultHttpHeaders().add(response.headers()),
                                    response.content().toString(StandardCharsets.UTF_8)));
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
  }
}
