package dev.knetty.common.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;

/** An upstream channel held by one exchange: a pooled HTTP/1.1 connection or an h2c stream. */
abstract class UpstreamLease {

  final UpstreamHandler handler;
  Channel channel;
  boolean reused;

  UpstreamLease(UpstreamHandler handler) {
    this.handler = handler;
  }

  /** The channel to write the request to. */
  final Channel channel() {
    return channel;
  }

  /** Whether the connection served before this lease (a failure may then be a stale connection). */
  final boolean reused() {
    return reused;
  }

  /**
   * Ends the lease: a reusable HTTP/1.1 connection goes back to its pool, anything else is closed
   * (an open h2c stream is reset).
   */
  abstract void release(boolean reusable);

  /** Removes the HTTP codecs so that the channel carries raw bytes (HTTP/1.1 only). */
  abstract void switchToTunnel();

  final void bind(Exchange exchange) {
    handler.bind(exchange);
  }

  final void requestRead() {
    handler.requestRead();
  }

  /** Ends a tunnel: closes after what was written so far has been flushed. */
  final void closeAfterFlush() {
    handler.unbind();
    channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }
}
