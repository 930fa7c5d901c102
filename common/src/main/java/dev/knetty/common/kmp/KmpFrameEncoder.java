package dev.knetty.common.kmp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/**
 * Writes {@link KmpMessage}s with a per-connection {@link KmpEncoder}: one buffer per message, each
 * frame's length written in place (no separate header buffer as with {@code LengthFieldPrepender}).
 */
final class KmpFrameEncoder extends MessageToByteEncoder<KmpMessage> {

  private final KmpEncoder encoder;

  KmpFrameEncoder(KmpEncoder encoder) {
    super(KmpMessage.class);
    this.encoder = encoder;
  }

  @Override
  protected ByteBuf allocateBuffer(
      ChannelHandlerContext ctx, KmpMessage msg, boolean preferDirect) {
    int size = encoder.sizeHint(msg);
    return preferDirect ? ctx.alloc().ioBuffer(size) : ctx.alloc().heapBuffer(size);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, KmpMessage msg, ByteBuf out) {
    try {
      encoder.encode(msg, out);
    } catch (RuntimeException e) {
      // The dictionary may now hold ids the peer never saw: this connection cannot go on.
      ctx.close();
      throw e;
    }
  }
}
