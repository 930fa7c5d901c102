package dev.knetty.common.kmp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;

/** Frame types, record tags and the primitive encodings of KMP (docs/protocol.md, "Encodings"). */
final class Wire {

  private Wire() {}

  static final int LENGTH_FIELD_BYTES = 4;

  // Frame types.
  static final int HELLO = 0x01;
  static final int ERROR = 0x02;
  static final int HEARTBEAT = 0x03;
  static final int STATS = 0x10;
  static final int DECISIONS = 0x11;

  // Record tags of STATS and DECISIONS bodies.
  static final int DEFINE_REVISION = 0x01;
  static final int DEFINE_POD = 0x02;
  static final int STAT = 0x10;
  static final int DECISION = 0x20;
  static final int REVISION_REMOVED = 0x21;

  // STAT presence bits, in the order of the fields on the wire.
  static final int AVERAGE_CONCURRENCY = 1;
  static final int AVERAGE_PROXIED_CONCURRENCY = 1 << 1;
  static final int REQUEST_COUNT = 1 << 2;
  static final int PROXIED_REQUEST_COUNT = 1 << 3;
  static final int PROCESS_UPTIME = 1 << 4;

  /** The HELLO/ERROR preamble: frame type byte plus the magic, checked before any length. */
  static final int PREAMBLE_BYTES = LENGTH_FIELD_BYTES + 1 + 4;

  static String frameTypeName(int type) {
    switch (type) {
      case HELLO:
        return "HELLO";
      case ERROR:
        return "ERROR";
      case HEARTBEAT:
        return "HEARTBEAT";
      case STATS:
        return "STATS";
      case DECISIONS:
        return "DECISIONS";
      default:
        return String.format("type 0x%02X", type);
    }
  }

  // --- varints: unsigned LEB128, least significant group first (protobuf's encoding) ---

  static void writeVarint(ByteBuf out, int value) {
    while ((value & ~0x7F) != 0) {
      out.writeByte((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out.writeByte(value);
  }

  static void writeVarint64(ByteBuf out, long value) {
    while ((value & ~0x7FL) != 0) {
      out.writeByte((int) (value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out.writeByte((int) value);
  }

  static int varintSize(int value) {
    return value == 0 ? 1 : (31 - Integer.numberOfLeadingZeros(value)) / 7 + 1;
  }

  static int varint64Size(long value) {
    return value == 0 ? 1 : (63 - Long.numberOfLeadingZeros(value)) / 7 + 1;
  }

  static int zigzag(int value) {
    return (value << 1) ^ (value >> 31);
  }

  static long zigzag64(long value) {
    return (value << 1) ^ (value >> 63);
  }

  static int unzigzag(int value) {
    return (value >>> 1) ^ -(value & 1);
  }

  static long unzigzag64(long value) {
    return (value >>> 1) ^ -(value & 1);
  }

  /** Reads an unsigned 32-bit varint (at most 5 bytes); values >= 2^31 come back negative. */
  static int readVarint(ByteBuf in) {
    int b = in.readByte();
    if (b >= 0) {
      return b;
    }
    int result = b & 0x7F;
    for (int shift = 7; shift <= 28; shift += 7) {
      b = in.readByte();
      result |= (b & 0x7F) << shift;
      if (b >= 0) {
        if (shift == 28 && b > 0x0F) {
          throw protocolError("varint does not fit in 32 bits");
        }
        return result;
      }
    }
    throw protocolError("varint longer than 5 bytes");
  }

  /** Reads an unsigned 64-bit varint (at most 10 bytes). */
  static long readVarint64(ByteBuf in) {
    long result = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      int b = in.readByte();
      result |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        if (shift == 63 && b > 1) {
          throw protocolError("varint does not fit in 64 bits");
        }
        return result;
      }
    }
    throw protocolError("varint longer than 10 bytes");
  }

  /** Reads a varint that is a length, a count or an id: {@code 0 <= value <= 2^31 - 1}. */
  static int readUnsigned(ByteBuf in, String what) {
    int value = readVarint(in);
    if (value < 0) {
      throw protocolError(what + " " + Integer.toUnsignedString(value) + " out of range");
    }
    return value;
  }

  /** Reads a u32 and caps it at {@code Integer.MAX_VALUE}: limits beyond that mean "no limit". */
  static int readCappedU32(ByteBuf in) {
    return (int) Math.min(in.readUnsignedInt(), Integer.MAX_VALUE);
  }

  // --- strings: varint byte length, then UTF-8 ---

  static void writeString(ByteBuf out, String value) {
    writeVarint(out, ByteBufUtil.utf8Bytes(value));
    out.writeCharSequence(value, StandardCharsets.UTF_8);
  }

  static int stringSize(String value) {
    int bytes = ByteBufUtil.utf8Bytes(value);
    return varintSize(bytes) + bytes;
  }

  /** Reads a string that must end at or before {@code end}; checks its length first. */
  static String readString(ByteBuf in, int end, String what) {
    int length = readUnsigned(in, what + " length");
    if (length > KmpProtocol.MAX_STRING_BYTES) {
      throw protocolError(
          what
              + " of "
              + length
              + " bytes exceeds the limit of "
              + KmpProtocol.MAX_STRING_BYTES
              + " bytes");
    }
    if (length > end - in.readerIndex()) {
      throw protocolError(what + " of " + length + " bytes overruns its record");
    }
    String value = in.toString(in.readerIndex(), length, StandardCharsets.UTF_8);
    in.skipBytes(length);
    return value;
  }

  static KmpProtocolException protocolError(String message) {
    return new KmpProtocolException(CloseReason.PROTOCOL_ERROR, message);
  }
}
