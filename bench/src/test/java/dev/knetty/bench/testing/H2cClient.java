package dev.knetty.bench.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A minimal h2c client with prior knowledge for tests (the JDK client only does Upgrade). */
public final class H2cClient implements AutoCloseable {

  /** A response: status, body as text, and the content type. */
  public record Response(int status, String body, String contentType) {}

  /** What a streamed response delivers, piece by piece; {@link #END} marks the end. */
  public static final String END = "<end>";

  private final EventLoopGroup group;
  private final Channel channel;

  public H2cClient(int port) throws InterruptedException {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    channel =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(
                            Http2FrameCodecBuilder.forClient().build(),
                            new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                  }
                })
            .connect("127.0.0.1", port)
            .sync()
            .channel();
  }

  /** Sends a GET and collects the whole response. */
  public CompletableFuture<Response> get(String path) {
    CompletableFuture<Response> result = new CompletableFuture<>();
    StringBuilder body = new StringBuilder();
    int[] status = {0};
    String[] contentType = {null};
    open(
        path,
        new ChannelInboundHandlerAdapter() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
              if (msg instanceof HttpResponse) {
                status[0] = ((HttpResponse) msg).status().code();
                contentType[0] = ((HttpResponse) msg).headers().get(HttpHeaderNames.CONTENT_TYPE);
              }
              if (msg instanceof HttpContent) {
                body.append(((HttpContent) msg).content().toString(StandardCharsets.UTF_8));
              }
              if (msg instanceof LastHttpContent) {
                result.complete(new Response(status[0], body.toString(), contentType[0]));
              }
            } finally {
              ReferenceCountUtil.release(msg);
            }
          }

          @Override
          public void channelInactive(ChannelHandlerContext ctx) {
            result.completeExceptionally(new IllegalStateException("stream closed"));
          }
        },
        result);
    return result;
  }

  /**
   * Sends a GET and hands every body piece to the returned queue as it arrives, then {@link #END}.
   * The returned stream channel can be closed to reset the stream.
   */
  public Http2StreamChannel stream(String path, BlockingQueue<String> pieces) {
    CompletableFuture<Void> failed = new CompletableFuture<>();
    return open(
        path,
        new ChannelInboundHandlerAdapter() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
              if (msg instanceof HttpContent) {
                String piece = ((HttpContent) msg).content().toString(StandardCharsets.UTF_8);
                if (!piece.isEmpty()) {
                  pieces.add(piece);
                }
              }
              if (msg instanceof LastHttpContent) {
                pieces.add(END);
              }
            } finally {
              ReferenceCountUtil.release(msg);
            }
          }
        },
        failed);
  }

  private Http2StreamChannel open(
      String path, ChannelInboundHandlerAdapter handler, CompletableFuture<?> onFailure) {
    try {
      Http2StreamChannel stream =
          new Http2StreamChannelBootstrap(channel)
              .handler(
                  new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel ch) {
                      ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false), handler);
                    }
                  })
              .open()
              .sync()
              .getNow();
      DefaultFullHttpRequest request =
          new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
      request.headers().set(HttpHeaderNames.HOST, "127.0.0.1");
      stream
          .writeAndFlush(request)
          .addListener(
              f -> {
                if (!f.isSuccess()) {
                  onFailure.completeExceptionally(f.cause());
                }
              });
      return stream;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Whether the server has closed the connection (e.g. after GOAWAY). */
  public boolean isOpen() {
    return channel.isActive();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
