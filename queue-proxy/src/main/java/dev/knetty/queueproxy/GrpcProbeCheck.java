package dev.knetty.queueproxy;

import dev.knetty.common.http.KnativeHeaders;
import dev.knetty.common.net.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * Knative's gRPC probe: {@code grpc.health.v1.Health/Check} over h2c (prior knowledge), ready iff
 * the call succeeds ({@code grpc-status: 0}) with status {@code SERVING}. The two tiny protobuf
 * messages are encoded by hand: {@code HealthCheckRequest{string service = 1}} and {@code
 * HealthCheckResponse{ServingStatus status = 1}} with {@code SERVING = 1}.
 */
final class GrpcProbeCheck extends ProbeCheck {

  private static final AsciiString PATH = AsciiString.cached("/grpc.health.v1.Health/Check");
  private static final AsciiString GRPC = AsciiString.cached("application/grpc");
  private static final AsciiString TRAILERS = AsciiString.cached("trailers");
  private static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
  private static final int SERVING = 1;

  /** A HealthCheckResponse is a few bytes; anything bigger is not one. */
  private static final int MAX_RESPONSE = 256;

  private final ReadinessProbe.Grpc action;

  GrpcProbeCheck(EventLoop loop, Transport transport, ReadinessProbe.Grpc action) {
    super(loop, transport);
    this.action = action;
  }

  @Override
  void run(Attempt a) {
    connect(
            a,
            action.host(),
            action.port(),
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline()
                    .addLast(
                        Http2FrameCodecBuilder.forClient().build(),
                        new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
              }
            })
        .addListener(
            f -> {
              if (f.isSuccess()) {
                Channel ch = ((io.netty.channel.ChannelFuture) f).channel();
                new Http2StreamChannelBootstrap(ch)
                    .handler(new CallHandler(a))
                    .open()
                    .addListener(
                        s -> {
                          if (s.isSuccess()) {
                            call((Http2StreamChannel) s.getNow());
                          } else {
                            a.finish(false, String.valueOf(s.cause()));
                          }
                        });
              }
            });
  }

  private void call(Http2StreamChannel stream) {
    Http2Headers headers =
        new DefaultHttp2Headers()
            .method("POST")
            .scheme("http")
            .path(PATH)
            .authority(authority(action.host(), action.port()));
    headers.set("content-type", GRPC);
    headers.set("te", TRAILERS);
    headers.set("user-agent", KnativeHeaders.QUEUE_PROXY_APP_PROBE_UA);
    stream.write(new DefaultHttp2HeadersFrame(headers, false));
    stream.writeAndFlush(new DefaultHttp2DataFrame(request(stream), true));
  }

  /** The length-prefixed {@code HealthCheckRequest}. */
  private ByteBuf request(Channel ch) {
    byte[] service = action.service().getBytes(StandardCharsets.UTF_8);
    int messageLength = service.length == 0 ? 0 : 1 + varintSize(service.length) + service.length;
    ByteBuf buf = ch.alloc().buffer(5 + messageLength);
    buf.writeByte(0); // not compressed
    buf.writeInt(messageLength);
    if (service.length > 0) {
      buf.writeByte((1 << 3) | 2);
      writeVarint(buf, service.length);
      buf.writeBytes(service);
    }
    return buf;
  }

  /** The serving status in a length-prefixed {@code HealthCheckResponse}, or -1 if malformed. */
  static int servingStatus(ByteBuf frame) {
    if (frame.readableBytes() < 5 || frame.getByte(frame.readerIndex()) != 0) {
      return -1;
    }
    int length = frame.getInt(frame.readerIndex() + 1);
    if (length < 0 || length != frame.readableBytes() - 5) {
      return -1;
    }
    int i = frame.readerIndex() + 5;
    int end = i + length;
    int status = 0; // proto3 default: UNKNOWN
    while (i < end) {
      int tag = frame.getByte(i++) & 0xFF;
      if (tag == ((1 << 3) | 0)) {
        long v = 0;
        int shift = 0;
        int b;
        do {
          if (i >= end || shift > 63) {
            return -1;
          }
          b = frame.getByte(i++) & 0xFF;
          v |= (long) (b & 0x7F) << shift;
          shift += 7;
        } while ((b & 0x80) != 0);
        status = (int) v;
      } else {
        return -1; // HealthCheckResponse has one field
      }
    }
    return status;
  }

  private static int varintSize(int v) {
    int n = 1;
    while ((v & ~0x7F) != 0) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  private static void writeVarint(ByteBuf buf, int v) {
    while ((v & ~0x7F) != 0) {
      buf.writeByte((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf.writeByte(v);
  }

  @Override
  public String toString() {
    return "grpc probe "
        + authority(action.host(), action.port())
        + " service '"
        + action.service()
        + "'";
  }

  /** Collects the response of the health call and decides at the end of the stream. */
  private final class CallHandler extends ChannelInboundHandlerAdapter {
    private final Attempt a;
    private ByteBuf body;
    private String grpcStatus;
    private boolean httpOk;

    CallHandler(Attempt a) {
      this.a = a;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame) {
          Http2Headers h = ((Http2HeadersFrame) msg).headers();
          if (h.status() != null) {
            httpOk = AsciiString.contentEquals(h.status(), "200");
          }
          CharSequence status = h.get(GRPC_STATUS);
          if (status != null) {
            grpcStatus = status.toString();
          }
        } else if (msg instanceof Http2DataFrame) {
          ByteBuf data = ((Http2DataFrame) msg).content();
          if (body == null) {
            body = ctx.alloc().buffer();
          }
          if (body.readableBytes() + data.readableBytes() > MAX_RESPONSE) {
            a.finish(false, "health response too large");
            return;
          }
          body.writeBytes(data);
        }
        if (msg instanceof Http2StreamFrame && isEndStream(msg)) {
          decide();
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private boolean isEndStream(Object msg) {
      return (msg instanceof Http2HeadersFrame && ((Http2HeadersFrame) msg).isEndStream())
          || (msg instanceof Http2DataFrame && ((Http2DataFrame) msg).isEndStream());
    }

    private void decide() {
      if (!httpOk || !"0".equals(grpcStatus)) {
        a.finish(false, "grpc-status " + grpcStatus);
        return;
      }
      int status = body == null ? -1 : servingStatus(body);
      a.finish(status == SERVING, "serving status " + status);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (body != null) {
        body.release();
        body = null;
      }
      a.finish(false, "stream closed before the answer");
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      a.finish(false, String.valueOf(cause));
    }
  }
}
