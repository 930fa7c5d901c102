package dev.knetty.common.proxy;

import dev.knetty.common.net.PipelineNames;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an h2c server connection (after the multiplexer): it removes the HTTP/1.1
 * leftovers once the connection speaks h2, reads with autoRead on (h2 flow control, driven by the
 * stream channels' reads, bounds what a client can send), drops connection-level frames, and on
 * drain closes gracefully: GOAWAY, then close once the streams in flight are done.
 */
final class H2ServerConnectionHandler extends ChannelInboundHandlerAdapter {

  private static final Logger LOG = LoggerFactory.getLogger(H2ServerConnectionHandler.class);

  private ChannelHandlerContext ctx;
  private boolean draining;

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    ChannelPipeline p = ctx.pipeline();
    if (p.get(PipelineNames.PROXY_PROTOCOL_SELECTOR) != null) {
      p.remove(PipelineNames.PROXY_PROTOCOL_SELECTOR);
    }
    if (p.get(PipelineNames.PROXY_CONNECTION_TIMEOUTS) != null) {
      p.remove(PipelineNames.PROXY_CONNECTION_TIMEOUTS);
    }
    ctx.channel().config().setAutoRead(true);
    // A connection made while draining is told to go away with its first stream (see
    // ServerInitializer): a GOAWAY now would refuse everything it sends.
  }

  /** Sends GOAWAY and closes once the active streams are done (Netty's graceful close). */
  void drain() {
    if (!draining && ctx != null) {
      draining = true;
      ctx.channel().close();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    // SETTINGS, PING, GOAWAY: the codec acted on them already.
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("h2c connection {} failed", ctx.channel(), cause);
    ctx.close();
  }
}
