package dev.knetty.common.kmp;

import static dev.knetty.common.kmp.Wire.writeString;
import static dev.knetty.common.kmp.Wire.writeVarint;

import dev.knetty.common.RevisionKey;
import io.netty.buffer.ByteBuf;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes KMP messages into frames for one direction of one connection. It owns that direction's
 * dictionaries (revision keys and pod names to ids), so use one encoder per connection and never
 * share it; a new connection needs a new encoder. Not thread-safe.
 *
 * <p>Usable without a channel ({@link #encode} appends to any {@link ByteBuf}), e.g. in benchmarks.
 * Each frame is written in place: a placeholder length, the body, then the length.
 */
public final class KmpEncoder {

  /**
   * An upper bound of one STAT or DECISION record plus the definitions it may need: a revision
   * definition (two 63-character labels), a pod definition (253 characters, 3 bytes each) and the
   * record itself, with worst-case varints. A frame is cut before it could exceed its limit.
   */
  static final int MAX_RECORD_WITH_DEFINITIONS = 1024;

  private static final int STATS_HEADER_BYTES = Wire.LENGTH_FIELD_BYTES + 1 + 8 + 4;
  private static final int DECISIONS_HEADER_BYTES = Wire.LENGTH_FIELD_BYTES + 1 + 4;

  private int maxFrameLength;
  private int maxDictionaryEntries;
  private final Map<RevisionKey, Integer> revisionIds = new HashMap<>();
  private final Map<String, Integer> podIds = new HashMap<>();

  /** Where a record's payload starts in {@link #record}: after the tag and a 5-byte varint. */
  private static final int RECORD_PAYLOAD = 6;

  /** Room for the largest record built in {@link #record}: a revision definition, <= 133 bytes. */
  private final byte[] record = new byte[RECORD_PAYLOAD + 160];

  private int position;

  // The frame being written by encodeStats/encodeDecisions.
  private int frameStart = -1;
  private int countIndex;
  private int recordCount;

  /**
   * @param maxFrameLength the largest frame to write, length prefix included (the receiver's limit;
   *     lowered by {@link #limitTo} once the peer's HELLO is known)
   * @param maxDictionaryEntries the most ids to define per dictionary (ditto)
   */
  public KmpEncoder(int maxFrameLength, int maxDictionaryEntries) {
    this.maxFrameLength =
        Checks.atLeast("maxFrameLength", maxFrameLength, KmpProtocol.MIN_MAX_FRAME_LENGTH);
    this.maxDictionaryEntries = Checks.atLeast("maxDictionaryEntries", maxDictionaryEntries, 1);
  }

  /** Lowers the limits to what the peer announced in its HELLO. */
  public void limitTo(Hello peer) {
    maxFrameLength = Math.min(maxFrameLength, peer.maxFrameLength());
    maxDictionaryEntries = Math.min(maxDictionaryEntries, peer.maxDictionaryEntries());
  }

  /**
   * Appends the frames of {@code message} to {@code out}: one frame, or several for a {@link
   * StatBatch} or {@link Decisions} that does not fit in one.
   */
  public void encode(KmpMessage message, ByteBuf out) {
    if (message instanceof StatBatch) {
      encodeStats((StatBatch) message, out);
    } else if (message instanceof Decisions) {
      encodeDecisions((Decisions) message, out);
    } else if (message instanceof Heartbeat) {
      out.writeInt(1);
      out.writeByte(Wire.HEARTBEAT);
    } else if (message instanceof Hello) {
      encodeHello((Hello) message, out);
    } else {
      encodeError((ErrorMessage) message, out);
    }
  }

  /** A good first buffer size for {@code message}, to avoid growing (copying) the buffer. */
  int sizeHint(KmpMessage message) {
    if (message instanceof StatBatch) {
      return STATS_HEADER_BYTES + 32 * ((StatBatch) message).size();
    } else if (message instanceof Decisions) {
      Decisions decisions = (Decisions) message;
      return DECISIONS_HEADER_BYTES
          + 16 * (decisions.decisions().size() + decisions.removed().size());
    }
    return 64;
  }

  private static void encodeHello(Hello hello, ByteBuf out) {
    int start = startFrame(out, Wire.HELLO);
    out.writeInt(KmpProtocol.MAGIC);
    out.writeShort(hello.major());
    out.writeShort(hello.minor());
    out.writeByte(hello.role().code());
    writeString(out, hello.podName());
    writeString(out, hello.podIp());
    out.writeInt(hello.heartbeatIntervalMillis());
    out.writeInt(hello.maxFrameLength());
    out.writeInt(hello.maxDictionaryEntries());
    endFrame(out, start);
  }

  private static void encodeError(ErrorMessage error, ByteBuf out) {
    int start = startFrame(out, Wire.ERROR);
    out.writeInt(KmpProtocol.MAGIC);
    out.writeShort(error.major());
    out.writeShort(error.minor());
    writeVarint(out, error.code());
    writeString(out, error.text());
    endFrame(out, start);
  }

  private void encodeStats(StatBatch batch, ByteBuf out) {
    List<Stat> stats = batch.stats();
    frameStart = -1;
    long base = 0;
    for (int i = 0, n = stats.size(); i < n; i++) {
      Stat stat = stats.get(i);
      if (frameStart < 0 || !fits(out)) {
        endRecords(out);
        base = stat.timestampMillis();
        startRecords(out, Wire.STATS);
        out.writeLong(base);
        countIndex = out.writerIndex();
        out.writeInt(0);
      }
      int revision = revisionId(stat.revision(), out);
      int pod = podId(stat.podName(), out);
      writeStat(out, stat, revision, pod, base);
    }
    if (frameStart < 0) { // an empty batch is one empty frame
      startRecords(out, Wire.STATS);
      out.writeLong(0);
      countIndex = out.writerIndex();
      out.writeInt(0);
    }
    endRecords(out);
  }

  private void writeStat(ByteBuf out, Stat stat, int revision, int pod, long base) {
    int flags = 0;
    flags |= present(stat.averageConcurrency(), Wire.AVERAGE_CONCURRENCY);
    flags |= present(stat.averageProxiedConcurrency(), Wire.AVERAGE_PROXIED_CONCURRENCY);
    flags |= present(stat.requestCount(), Wire.REQUEST_COUNT);
    flags |= present(stat.proxiedRequestCount(), Wire.PROXIED_REQUEST_COUNT);
    flags |= present(stat.processUptimeSeconds(), Wire.PROCESS_UPTIME);
    startRecord();
    putVarint(revision);
    putVarint(pod);
    putVarint64(Wire.zigzag64(stat.timestampMillis() - base));
    record[position++] = (byte) flags;
    putIfPresent(flags, Wire.AVERAGE_CONCURRENCY, stat.averageConcurrency());
    putIfPresent(flags, Wire.AVERAGE_PROXIED_CONCURRENCY, stat.averageProxiedConcurrency());
    putIfPresent(flags, Wire.REQUEST_COUNT, stat.requestCount());
    putIfPresent(flags, Wire.PROXIED_REQUEST_COUNT, stat.proxiedRequestCount());
    putIfPresent(flags, Wire.PROCESS_UPTIME, stat.processUptimeSeconds());
    endRecord(out, Wire.STAT);
  }

  /** A field is left out when its bits are all zero (+0.0); -0.0 is sent, so it round-trips. */
  private static int present(double value, int bit) {
    return Double.doubleToRawLongBits(value) != 0 ? bit : 0;
  }

  private void putIfPresent(int flags, int bit, double value) {
    if ((flags & bit) != 0) {
      long bits = Double.doubleToRawLongBits(value);
      for (int shift = 56; shift >= 0; shift -= 8) {
        record[position++] = (byte) (bits >>> shift);
      }
    }
  }

  private void encodeDecisions(Decisions message, ByteBuf out) {
    frameStart = -1;
    for (Decision decision : message.decisions()) {
      ensureDecisionsFrame(out);
      int id = revisionId(decision.revision(), out);
      startRecord();
      putVarint(id);
      putVarint(Wire.zigzag(decision.desiredScale()));
      putVarint(Wire.zigzag(decision.excessBurstCapacity()));
      putVarint(decision.activatorCount());
      putVarint(Wire.zigzag(decision.activatorIndex()));
      putVarint(decision.containerConcurrency());
      endRecord(out, Wire.DECISION);
    }
    for (RevisionKey revision : message.removed()) {
      ensureDecisionsFrame(out);
      int id = revisionId(revision, out);
      startRecord();
      putVarint(id);
      endRecord(out, Wire.REVISION_REMOVED);
    }
    ensureDecisionsFrame(out); // an empty message is one empty frame
    endRecords(out);
  }

  private void ensureDecisionsFrame(ByteBuf out) {
    if (frameStart < 0 || !fits(out)) {
      endRecords(out);
      startRecords(out, Wire.DECISIONS);
      countIndex = out.writerIndex();
      out.writeInt(0);
    }
  }

  private boolean fits(ByteBuf out) {
    return out.writerIndex() - frameStart + MAX_RECORD_WITH_DEFINITIONS <= maxFrameLength;
  }

  private int revisionId(RevisionKey revision, ByteBuf out) {
    Integer known = revisionIds.get(revision);
    if (known != null) {
      return known;
    }
    int id = assign(revisionIds, revision);
    startRecord();
    putVarint(id);
    putAscii(revision.namespace());
    putAscii(revision.name());
    endRecord(out, Wire.DEFINE_REVISION);
    return id;
  }

  private int podId(String podName, ByteBuf out) {
    Integer known = podIds.get(podName);
    if (known != null) {
      return known;
    }
    int id = assign(podIds, podName);
    out.writeByte(Wire.DEFINE_POD);
    writeVarint(out, Wire.varintSize(id) + Wire.stringSize(podName));
    writeVarint(out, id);
    writeString(out, podName);
    recordCount++;
    return id;
  }

  private <K> int assign(Map<K, Integer> ids, K key) {
    if (ids.size() >= maxDictionaryEntries) {
      // Full: start over from id 0, redefining ids as they are used again. The receiver simply
      // overwrites its entries, so no reset message is needed.
      ids.clear();
    }
    int id = ids.size();
    ids.put(key, id);
    return id;
  }

  // Records are assembled in a small array and written with one call: far fewer bounds checks
  // (and leak-detector records) than a write per field. The payload starts at RECORD_PAYLOAD,
  // leaving room in front for the tag and the (up to 5-byte) length varint.

  private void startRecord() {
    position = RECORD_PAYLOAD;
  }

  private void putVarint(int value) {
    while ((value & ~0x7F) != 0) {
      record[position++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    record[position++] = (byte) value;
  }

  private void putVarint64(long value) {
    while ((value & ~0x7FL) != 0) {
      record[position++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    record[position++] = (byte) value;
  }

  /** A string known to be ASCII (a DNS label): one byte per character. */
  private void putAscii(String value) {
    putVarint(value.length());
    for (int i = 0, n = value.length(); i < n; i++) {
      record[position++] = (byte) value.charAt(i);
    }
  }

  private void endRecord(ByteBuf out, int tag) {
    int length = position - RECORD_PAYLOAD;
    int start = RECORD_PAYLOAD - 1 - Wire.varintSize(length);
    record[start] = (byte) tag;
    int end = position;
    position = start + 1;
    putVarint(length);
    out.writeBytes(record, start, end - start);
    recordCount++;
  }

  private void startRecords(ByteBuf out, int type) {
    frameStart = startFrame(out, type);
    recordCount = 0;
  }

  private void endRecords(ByteBuf out) {
    if (frameStart >= 0) {
      out.setInt(countIndex, recordCount);
      endFrame(out, frameStart);
      frameStart = -1;
    }
  }

  private static int startFrame(ByteBuf out, int type) {
    int start = out.writerIndex();
    out.writeInt(0); // the length, set by endFrame
    out.writeByte(type);
    return start;
  }

  private static void endFrame(ByteBuf out, int start) {
    out.setInt(start, out.writerIndex() - start - Wire.LENGTH_FIELD_BYTES);
  }
}
