package dev.knetty.common.kmp;

import static dev.knetty.common.kmp.Wire.protocolError;
import static dev.knetty.common.kmp.Wire.readString;
import static dev.knetty.common.kmp.Wire.readUnsigned;

import dev.knetty.common.RevisionKey;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes KMP frames for one direction of one connection. It owns that direction's dictionaries
 * (ids to revision keys and pod names), so use one decoder per connection; a new connection needs a
 * new decoder. Not thread-safe.
 *
 * <p>Decoding reads straight from the buffer: no copies, and after the dictionary no string per
 * stat. Every count and length is checked against the bytes that remain (and the limits) before
 * anything is allocated for it. Bad input throws {@link KmpProtocolException}; the connection must
 * then be closed, as the dictionaries may be half updated.
 */
public final class KmpDecoder {

  /** The smallest STAT record: tag, length, revision id, pod id, timestamp delta, presence. */
  private static final int MIN_STAT_RECORD_BYTES = 6;

  private final int maxDictionaryEntries;
  private final ArrayList<RevisionKey> revisions = new ArrayList<>();
  private final ArrayList<String> pods = new ArrayList<>();

  /**
   * @param maxDictionaryEntries the most entries the sender may define per dictionary (this side's
   *     limit, announced in its HELLO)
   */
  public KmpDecoder(int maxDictionaryEntries) {
    this.maxDictionaryEntries = Checks.atLeast("maxDictionaryEntries", maxDictionaryEntries, 1);
  }

  /**
   * Decodes one length-prefixed frame at the reader index of {@code in}, which must hold all of it,
   * and moves the reader index past it.
   *
   * @return the message, or {@code null} for a frame of an unknown type (skipped)
   */
  public KmpMessage decodeFrame(ByteBuf in, int maxFrameLength) {
    long length = in.readUnsignedInt();
    if (length + Wire.LENGTH_FIELD_BYTES > maxFrameLength) {
      throw frameTooLarge(length + Wire.LENGTH_FIELD_BYTES, maxFrameLength);
    }
    if (length > in.readableBytes()) {
      throw protocolError(
          "frame of " + length + " bytes truncated to " + in.readableBytes() + " bytes");
    }
    ByteBuf frame = in.slice(in.readerIndex(), (int) length);
    in.skipBytes((int) length);
    return decode(frame);
  }

  /**
   * Decodes one frame without its length prefix: the type byte and the body, exactly. Reads all of
   * {@code frame}: data of a newer minor version after the known fields is skipped.
   *
   * @return the message, or {@code null} for a frame of an unknown type (skipped)
   */
  public KmpMessage decode(ByteBuf frame) {
    if (!frame.isReadable()) {
      throw protocolError("empty frame (no type)");
    }
    int type = frame.readUnsignedByte();
    try {
      KmpMessage message;
      switch (type) {
        case Wire.HELLO:
          message = decodeHello(frame);
          break;
        case Wire.ERROR:
          message = decodeError(frame);
          break;
        case Wire.HEARTBEAT:
          message = Heartbeat.INSTANCE;
          break;
        case Wire.STATS:
          message = decodeStats(frame);
          break;
        case Wire.DECISIONS:
          message = decodeDecisions(frame);
          break;
        default:
          message = null; // a frame type of a newer minor version
          break;
      }
      frame.skipBytes(frame.readableBytes()); // fields of a newer minor version
      return message;
    } catch (IndexOutOfBoundsException e) {
      throw protocolError(Wire.frameTypeName(type) + " frame truncated");
    } catch (IllegalArgumentException e) { // a record constructor refused a value
      throw protocolError(Wire.frameTypeName(type) + ": " + e.getMessage());
    }
  }

  static KmpProtocolException frameTooLarge(long length, int maxFrameLength) {
    return new KmpProtocolException(
        CloseReason.FRAME_TOO_LARGE,
        "frame of " + length + " bytes exceeds the limit of " + maxFrameLength + " bytes");
  }

  private static void checkMagic(ByteBuf frame) {
    int magic = frame.readInt();
    if (magic != KmpProtocol.MAGIC) {
      throw badMagic(magic);
    }
  }

  static KmpProtocolException badMagic(int magic) {
    return new KmpProtocolException(
        CloseReason.BAD_MAGIC,
        String.format(
            "bad magic 0x%08X (expected 0x%08X \"KMP!\"): not a KMP peer",
            magic, KmpProtocol.MAGIC));
  }

  private static Hello decodeHello(ByteBuf frame) {
    checkMagic(frame);
    int major = frame.readUnsignedShort();
    int minor = frame.readUnsignedShort();
    if (major != KmpProtocol.MAJOR_VERSION) {
      // The rest of the body may have another layout: stop here.
      throw new KmpProtocolException(
          CloseReason.UNSUPPORTED_VERSION,
          "unsupported KMP version "
              + major
              + "."
              + minor
              + " (this side speaks "
              + KmpProtocol.MAJOR_VERSION
              + "."
              + KmpProtocol.MINOR_VERSION
              + ")");
    }
    int roleCode = frame.readUnsignedByte();
    Role role = Role.fromCode(roleCode);
    if (role == null) {
      throw protocolError("unknown role " + roleCode);
    }
    int end = frame.writerIndex();
    String podName = readString(frame, end, "podName");
    String podIp = readString(frame, end, "podIp");
    int heartbeat = Wire.readCappedU32(frame);
    int maxFrameLength = Wire.readCappedU32(frame);
    int maxDictionaryEntries = Wire.readCappedU32(frame);
    return new Hello(
        major, minor, role, podName, podIp, heartbeat, maxFrameLength, maxDictionaryEntries);
  }

  private static ErrorMessage decodeError(ByteBuf frame) {
    checkMagic(frame);
    int major = frame.readUnsignedShort();
    int minor = frame.readUnsignedShort();
    int code = readUnsigned(frame, "error code");
    String text = readString(frame, frame.writerIndex(), "error text");
    return new ErrorMessage(major, minor, code, text);
  }

  private StatBatch decodeStats(ByteBuf frame) {
    long base = frame.readLong();
    int count = readRecordCount(frame);
    List<Stat> stats =
        new ArrayList<>(Math.min(count, frame.readableBytes() / MIN_STAT_RECORD_BYTES));
    readRecords(frame, Wire.STATS, count, base, stats, null, null);
    return new StatBatch(stats);
  }

  private Decisions decodeDecisions(ByteBuf frame) {
    int count = readRecordCount(frame);
    List<Decision> decisions = new ArrayList<>();
    List<RevisionKey> removed = new ArrayList<>();
    readRecords(frame, Wire.DECISIONS, count, 0, null, decisions, removed);
    return new Decisions(decisions, removed);
  }

  /**
   * Reads {@code count} records in order: definitions update the dictionaries, the others go to the
   * list for their type (null for the types the frame type does not allow).
   */
  private void readRecords(
      ByteBuf frame,
      int frameType,
      int count,
      long base,
      List<Stat> stats,
      List<Decision> decisions,
      List<RevisionKey> removed) {
    for (int i = 0; i < count; i++) {
      int tag = frame.readUnsignedByte();
      int end = recordEnd(frame);
      switch (tag) {
        case Wire.DEFINE_REVISION:
          defineRevision(frame, end);
          break;
        case Wire.DEFINE_POD:
          allowed(stats, tag, frameType);
          definePod(frame, end);
          break;
        case Wire.STAT:
          allowed(stats, tag, frameType).add(decodeStat(frame, base));
          break;
        case Wire.DECISION:
          allowed(decisions, tag, frameType).add(decodeDecision(frame));
          break;
        case Wire.REVISION_REMOVED:
          allowed(removed, tag, frameType).add(revision(readUnsigned(frame, "revision id")));
          break;
        default:
          break; // a record type of a newer minor version
      }
      endRecord(frame, end);
    }
  }

  private static <T> List<T> allowed(List<T> sink, int tag, int frameType) {
    if (sink == null) {
      throw protocolError(
          String.format("record 0x%02x in a %s frame", tag, Wire.frameTypeName(frameType)));
    }
    return sink;
  }

  private Stat decodeStat(ByteBuf frame, long base) {
    RevisionKey revision = revision(readUnsigned(frame, "revision id"));
    String pod = pod(readUnsigned(frame, "pod id"));
    long timestamp = base + Wire.unzigzag64(Wire.readVarint64(frame));
    int flags = frame.readUnsignedByte();
    // Unknown presence bits belong to fields of a newer minor version, which come after these.
    return new Stat(
        revision,
        pod,
        timestamp,
        readIfPresent(frame, flags, Wire.AVERAGE_CONCURRENCY),
        readIfPresent(frame, flags, Wire.AVERAGE_PROXIED_CONCURRENCY),
        readIfPresent(frame, flags, Wire.REQUEST_COUNT),
        readIfPresent(frame, flags, Wire.PROXIED_REQUEST_COUNT),
        readIfPresent(frame, flags, Wire.PROCESS_UPTIME));
  }

  private static double readIfPresent(ByteBuf frame, int flags, int bit) {
    return (flags & bit) != 0 ? frame.readDouble() : 0.0;
  }

  private Decision decodeDecision(ByteBuf frame) {
    return new Decision(
        revision(readUnsigned(frame, "revision id")),
        Wire.unzigzag(Wire.readVarint(frame)),
        Wire.unzigzag(Wire.readVarint(frame)),
        readUnsigned(frame, "activatorCount"),
        Wire.unzigzag(Wire.readVarint(frame)),
        readUnsigned(frame, "containerConcurrency"));
  }

  /** The u32 record count; every record takes at least 2 bytes (tag and length). */
  private static int readRecordCount(ByteBuf frame) {
    long count = frame.readUnsignedInt();
    if (count > frame.readableBytes() / 2) {
      throw protocolError(
          "record count " + count + " does not fit in " + frame.readableBytes() + " bytes");
    }
    return (int) count;
  }

  private static int recordEnd(ByteBuf frame) {
    int length = readUnsigned(frame, "record length");
    if (length > frame.readableBytes()) {
      throw protocolError(
          "record of " + length + " bytes overruns the frame (" + frame.readableBytes() + " left)");
    }
    return frame.readerIndex() + length;
  }

  /** Skips what a newer minor version appended to the record; refuses a record that overran. */
  private static void endRecord(ByteBuf frame, int end) {
    if (frame.readerIndex() > end) {
      throw protocolError("record fields overrun the record length");
    }
    frame.readerIndex(end);
  }

  private void defineRevision(ByteBuf frame, int end) {
    int id = readUnsigned(frame, "revision id");
    checkDefinition("revision", id, revisions.size());
    RevisionKey revision =
        new RevisionKey(
            readString(frame, end, "revision namespace"), readString(frame, end, "revision name"));
    define(revisions, id, revision);
  }

  private void definePod(ByteBuf frame, int end) {
    int id = readUnsigned(frame, "pod id");
    checkDefinition("pod", id, pods.size());
    String pod = readString(frame, end, "pod name");
    Checks.name("podName", pod, 1);
    define(pods, id, pod);
  }

  private void checkDefinition(String dictionary, int id, int size) {
    if (id >= maxDictionaryEntries) {
      throw protocolError(
          dictionary
              + " id "
              + id
              + " exceeds the dictionary limit of "
              + maxDictionaryEntries
              + " entries");
    }
    if (id > size) {
      throw protocolError(
          dictionary + " id " + id + " defined out of sequence (expected: <= " + size + ")");
    }
  }

  private static <T> void define(ArrayList<T> dictionary, int id, T value) {
    if (id == dictionary.size()) {
      dictionary.add(value);
    } else {
      dictionary.set(id, value);
    }
  }

  private RevisionKey revision(int id) {
    if (id >= revisions.size()) {
      throw protocolError("unknown revision id " + id);
    }
    return revisions.get(id);
  }

  private String pod(int id) {
    if (id >= pods.size()) {
      throw protocolError("unknown pod id " + id);
    }
    return pods.get(id);
  }
}
