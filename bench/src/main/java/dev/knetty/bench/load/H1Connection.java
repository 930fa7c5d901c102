package dev.knetty.bench.load;

import dev.knetty.common.net.PipelineNames;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/** An HTTP/1.1 keep-alive connection: one request at a time, bodies read and dropped. */
final class H1Connection extends Connection {

  private Exchange current;
  private int status;
  private boolean keepAlive;
  private ErrorKind failure;

  H1Connection(Lane lane, int slot) {
    super(lane, slot);
  }

  @Override
  ChannelInitializer<Channel> initializer() {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.pipeline()
            .addLast(PipelineNames.HTTP_CLIENT_CODEC, new HttpClientCodec())
            .addLast(PipelineNames.LOAD_CLIENT, new Handler());
      }
    };
  }

  @Override
  boolean canSend() {
    return open && current == null;
  }

  @Override
  void send(Exchange exchange) {
    current = exchange;
    exchange.channel = channel;
    channel
        .writeAndFlush(lane.newRequest())
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                failure = ErrorKind.of(f.cause());
                channel.close();
              }
            });
  }

  private final class Handler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof HttpObject && ((HttpObject) msg).decoderResult().isFailure()) {
          failure = ErrorKind.OTHER;
          ctx.close();
          return;
        }
        if (msg instanceof HttpResponse) {
          status = ((HttpResponse) msg).status().code();
          keepAlive = HttpUtil.isKeepAlive((HttpResponse) msg);
        }
        if (msg instanceof LastHttpContent) {
          Exchange exchange = current;
          current = null;
          if (!keepAlive) {
            open = false; // before completing: a closed loop must not reuse this connection
            ctx.close();
          }
          if (exchange != null) {
            lane.completed(exchange, status);
          }
          if (keepAlive) {
            lane.ready(H1Connection.this);
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      open = false;
      Exchange exchange = current;
      current = null;
      if (exchange != null) {
        lane.failed(exchange, failure == null ? ErrorKind.RESET : failure);
      }
      lane.closed(H1Connection.this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      failure = ErrorKind.of(cause);
      ctx.close();
    }
  }
}
