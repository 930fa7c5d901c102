package dev.knetty.common.kmp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.nio.ByteOrder;

/**
 * Splits the inbound stream into KMP frames and decodes each with a per-connection {@link
 * KmpDecoder}. Before trusting the first length, it checks that the first frame is a HELLO or an
 * ERROR with the magic, so that a non-KMP peer is told apart from an oversized frame. After the
 * first error it discards everything: the connection is being closed.
 */
final class KmpFrameDecoder extends LengthFieldBasedFrameDecoder {

  private final KmpDecoder decoder;
  private final int maxFrameLength;
  private boolean preambleChecked;
  private boolean failed;

  KmpFrameDecoder(int maxFrameLength, int maxDictionaryEntries) {
    super(maxFrameLength, 0, Wire.LENGTH_FIELD_BYTES, 0, Wire.LENGTH_FIELD_BYTES, true);
    this.maxFrameLength = maxFrameLength;
    this.decoder = new KmpDecoder(maxDictionaryEntries);
  }

  @Override
  protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return null;
    }
    try {
      if (!preambleChecked) {
        if (in.readableBytes() < Wire.PREAMBLE_BYTES) {
          return null;
        }
        checkPreamble(in);
        preambleChecked = true;
      }
      ByteBuf frame = (ByteBuf) super.decode(ctx, in);
      return frame == null ? null : decoder.decode(frame);
    } catch (RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  private static void checkPreamble(ByteBuf in) {
    int type = in.getUnsignedByte(in.readerIndex() + Wire.LENGTH_FIELD_BYTES);
    if (type == Wire.HEARTBEAT || type == Wire.STATS || type == Wire.DECISIONS) {
      throw Wire.protocolError("first frame is " + Wire.frameTypeName(type) + ", not HELLO");
    }
    int magic = in.getInt(in.readerIndex() + Wire.LENGTH_FIELD_BYTES + 1);
    if ((type != Wire.HELLO && type != Wire.ERROR) || magic != KmpProtocol.MAGIC) {
      throw KmpDecoder.badMagic(magic);
    }
  }

  @Override
  protected long getUnadjustedFrameLength(ByteBuf buf, int offset, int length, ByteOrder order) {
    long frameLength = buf.getUnsignedInt(offset);
    // Checked here, before the base class starts discarding, for our own reason and message.
    if (frameLength + Wire.LENGTH_FIELD_BYTES > maxFrameLength) {
      throw KmpDecoder.frameTooLarge(frameLength + Wire.LENGTH_FIELD_BYTES, maxFrameLength);
    }
    return frameLength;
  }

  /** A slice, not a retained slice: the frame is decoded before the cumulation can change. */
  @Override
  protected ByteBuf extractFrame(ChannelHandlerContext ctx, ByteBuf buffer, int index, int length) {
    return buffer.slice(index, length);
  }
}
