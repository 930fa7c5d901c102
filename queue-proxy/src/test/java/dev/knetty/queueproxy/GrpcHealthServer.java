package dev.knetty.queueproxy;

import dev.knetty.common.net.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC health server for tests ({@code grpc.health.v1.Health/Check} over h2c), decoding the
 * request's service name by hand and answering with a fixed serving status or gRPC error.
 */
final class GrpcHealthServer implements AutoCloseable {

  final List<String> services = new CopyOnWriteArrayList<>();
  private final EventLoopGroup group;
  private final Channel server;

  /**
   * @param servingStatus the status answered (1 SERVING, 2 NOT_SERVING) when {@code grpcStatus} is
   *     0
   * @param grpcStatus the call's status; not 0: a trailers-only error answer
   */
  GrpcHealthServer(Transport transport, int servingStatus, int grpcStatus) {
    group = transport.newEventLoopGroup(1, "test-grpc");
    server =
        new ServerBootstrap()
            .group(group)
            .channel(transport.serverChannelClass())
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(
                            Http2FrameCodecBuilder.forServer().build(),
                            new Http2MultiplexHandler(
                                new ChannelInitializer<Http2StreamChannel>() {
                                  @Override
                                  protected void initChannel(Http2StreamChannel stream) {
                                    stream.pipeline().addLast(new Call(servingStatus, grpcStatus));
                                  }
                                }));
                  }
                })
            .bind("127.0.0.1", 0)
            .syncUninterruptibly()
            .channel();
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  @Override
  public void close() {
    server.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  private final class Call extends ChannelInboundHandlerAdapter {
    private final int servingStatus;
    private final int grpcStatus;
    private final ByteBuf request = Unpooled.buffer();

    Call(int servingStatus, int grpcStatus) {
      this.servingStatus = servingStatus;
      this.grpcStatus = grpcStatus;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        boolean end = false;
        if (msg instanceof Http2HeadersFrame) {
          Http2Headers h = ((Http2HeadersFrame) msg).headers();
          if (!"/grpc.health.v1.Health/Check".contentEquals(h.path())
              || !"application/grpc".contentEquals(h.get("content-type"))) {
            throw new IllegalStateException("not a health check: " + h);
          }
          end = ((Http2HeadersFrame) msg).isEndStream();
        } else if (msg instanceof Http2DataFrame) {
          request.writeBytes(((Http2DataFrame) msg).content());
          end = ((Http2DataFrame) msg).isEndStream();
        }
        if (end) {
          answer(ctx);
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private void answer(ChannelHandlerContext ctx) {
      // [0][length][HealthCheckRequest{1: service}]
      request.skipBytes(5);
      String service = "";
      if (request.isReadable()) {
        request.skipBytes(1); // tag 0x0a
        int length = request.readByte(); // short names: one varint byte
        service = request.readCharSequence(length, StandardCharsets.UTF_8).toString();
      }
      services.add(service);
      request.release();
      Http2Headers head = new DefaultHttp2Headers().status("200");
      head.set("content-type", "application/grpc");
      if (grpcStatus != 0) {
        head.set("grpc-status", Integer.toString(grpcStatus));
        ctx.writeAndFlush(new DefaultHttp2HeadersFrame(head, true));
        return;
      }
      ctx.write(new DefaultHttp2HeadersFrame(head, false));
      ByteBuf body = ctx.alloc().buffer(7);
      body.writeByte(0).writeInt(2).writeByte(0x08).writeByte(servingStatus);
      ctx.write(new DefaultHttp2DataFrame(body, false));
      ctx.writeAndFlush(
          new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().set("grpc-status", "0"), true));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (request.refCnt() > 0) {
        request.release();
      }
      ctx.fireChannelInactive();
    }
  }
}
