package dev.knetty.common.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of every upstream channel (an HTTP/1.1 connection or an h2c stream). It forwards
 * to the exchange the channel is leased to; unleased, anything that arrives means the pooled
 * connection is no longer usable, so it is closed.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {

  private ChannelHandlerContext ctx;
  private Exchange exchange;
  private boolean readPending;

  void bind(Exchange value) {
    exchange = value;
  }

  void unbind() {
    exchange = null;
  }

  /** One more message, unless a read is already outstanding (autoRead is off). */
  void requestRead() {
    if (!readPending && ctx != null) {
      readPending = true;
      ctx.read();
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    readPending = false;
    Exchange ex = exchange;
    if (ex != null) {
      ex.upstreamRead(msg);
    } else {
      ReferenceCountUtil.release(msg);
      ctx.close();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // FlowControlHandler forgets a read() it could not satisfy when a socket read completes,
    // although the transport still reads: ask again so the next message is delivered.
    if (readPending) {
      readPending = false;
      requestRead();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Exchange ex = exchange;
    if (ex != null) {
      ex.upstreamWritabilityChanged(ctx.channel().isWritable());
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    readPending = false;
    Exchange ex = exchange;
    if (ex != null) {
      ex.upstreamClosed(null);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Exchange ex = exchange;
    if (ex != null) {
      ex.upstreamClosed(cause);
    }
    ctx.close();
  }
}
