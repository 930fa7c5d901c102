package dev.knetty.queueproxy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A by-the-spec proto3 decoder of Knative's {@code Stat} for tests: it knows only the wire format
 * (varint tags, length-delimited strings, fixed64 doubles, varint int64), not our encoder.
 */
record StatDecoder(
    String podName,
    double averageConcurrency,
    double averageProxiedConcurrency,
    double requestCount,
    double proxiedRequestCount,
    double processUptime,
    long timestamp) {

  static StatDecoder decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    String pod = "";
    double[] d = new double[7];
    long timestamp = 0;
    while (in.hasRemaining()) {
      long key = varint(in);
      int field = (int) (key >>> 3);
      int wireType = (int) (key & 7);
      switch (wireType) {
        case 0:
          long v = varint(in);
          if (field == 7) {
            timestamp = v;
          }
          break;
        case 1:
          double value = in.getDouble();
          if (field >= 2 && field <= 6) {
            d[field] = value;
          }
          break;
        case 2:
          byte[] s = new byte[(int) varint(in)];
          in.get(s);
          if (field == 1) {
            pod = new String(s, StandardCharsets.UTF_8);
          }
          break;
        default:
          throw new IllegalArgumentException("wire type " + wireType);
      }
    }
    return new StatDecoder(pod, d[2], d[3], d[4], d[5], d[6], timestamp);
  }

  private static long varint(ByteBuffer in) {
    long v = 0;
    for (int shift = 0; ; shift += 7) {
      byte b = in.get();
      v |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
  }
}
