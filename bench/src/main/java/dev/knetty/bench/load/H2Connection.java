package dev.knetty.bench.load;

import dev.knetty.common.net.PipelineNames;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

/**
 * An h2c connection with prior knowledge: one stream per request, up to a stream limit (ours, or
 * the server's {@code SETTINGS_MAX_CONCURRENT_STREAMS} if lower). After a GOAWAY it takes no new
 * streams.
 */
final class H2Connection extends Connection {

  private final int maxStreams;
  private Http2FrameCodec codec;
  private int active;
  private boolean goingAway;

  H2Connection(Lane lane, int slot, int maxStreams) {
    super(lane, slot);
    this.maxStreams = maxStreams;
  }

  @Override
  ChannelInitializer<Channel> initializer() {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        codec = Http2FrameCodecBuilder.forClient().build();
        ch.pipeline()
            .addLast(PipelineNames.HTTP2_FRAME_CODEC, codec)
            .addLast(
                PipelineNames.HTTP2_MULTIPLEX,
                // The server never opens streams to us.
                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()))
            .addLast(PipelineNames.LOAD_CLIENT, new ConnectionHandler());
      }
    };
  }

  @Override
  boolean canSend() {
    return open
        && !goingAway
        && active < Math.min(maxStreams, codec.connection().local().maxActiveStreams());
  }

  @Override
  void send(Exchange exchange) {
    active++;
    new Http2StreamChannelBootstrap(channel)
        .handler(new StreamHandler(exchange))
        .open()
        .addListener(
            (Future<Http2StreamChannel> f) -> {
              if (!f.isSuccess()) {
                active--;
                lane.failed(exchange, ErrorKind.of(f.cause()));
                lane.ready(this);
                return;
              }
              Http2StreamChannel stream = f.getNow();
              if (exchange.done) {
                stream.close(); // timed out while the stream opened
                return;
              }
              exchange.channel = stream;
              stream
                  .writeAndFlush(lane.newRequest())
                  .addListener(
                      w -> {
                        if (!w.isSuccess()) {
                          stream.close();
                        }
                      });
            });
  }

  /** Connection-level frames the multiplexer passes on, and the connection's end. */
  private final class ConnectionHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2GoAwayFrame) {
        goingAway = true;
      }
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      open = false;
      lane.closed(H2Connection.this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** One request's stream. */
  private final class StreamHandler extends ChannelInitializer<Http2StreamChannel> {
    private final Exchange exchange;
    private int status;
    private boolean complete;
    private ErrorKind failure;

    StreamHandler(Exchange exchange) {
      this.exchange = exchange;
    }

    @Override
    protected void initChannel(Http2StreamChannel stream) {
      stream
          .pipeline()
          .addLast(PipelineNames.HTTP2_STREAM_CODEC, new Http2StreamFrameToHttpObjectCodec(false))
          .addLast(
              PipelineNames.LOAD_CLIENT,
              new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                  try {
                    if (msg instanceof HttpObject
                        && ((HttpObject) msg).decoderResult().isFailure()) {
                      failure = ErrorKind.OTHER;
                      ctx.close();
                      return;
                    }
                    if (msg instanceof HttpResponse) {
                      status = ((HttpResponse) msg).status().code();
                    }
                    if (msg instanceof LastHttpContent && !complete) {
                      complete = true;
                      lane.completed(exchange, status);
                    }
                  } finally {
                    ReferenceCountUtil.release(msg);
                  }
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                  if (!complete) {
                    lane.failed(exchange, failure == null ? ErrorKind.RESET : failure);
                  }
                  active--;
                  if (open) {
                    lane.ready(H2Connection.this);
                  }
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                  failure = ErrorKind.of(cause);
                  ctx.close();
                }
              });
    }
  }
}
