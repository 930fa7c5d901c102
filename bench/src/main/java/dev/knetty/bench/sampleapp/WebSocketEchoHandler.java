package dev.knetty.bench.sampleapp;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;

/**
 * Echoes text and binary websocket frames (fragments included) back as they are. Pings, pongs and
 * close frames are answered by Netty's {@code WebSocketServerProtocolHandler} in front of it.
 * Reading pauses while the peer does not read our echoes.
 */
final class WebSocketEchoHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

  private boolean open;

  WebSocketEchoHandler() {
    super(false);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    if (frame instanceof TextWebSocketFrame
        || frame instanceof BinaryWebSocketFrame
        || frame instanceof ContinuationWebSocketFrame) {
      ctx.writeAndFlush(frame);
      if (!ctx.channel().isWritable()) {
        ctx.channel().config().setAutoRead(false);
      }
    } else {
      ReferenceCountUtil.release(frame);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      ctx.channel().config().setAutoRead(true);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
      open = true;
    } else if (evt == SampleApp.Drain.INSTANCE && open) {
      ctx.writeAndFlush(
              new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "shutting down"))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }
}
