package dev.knetty.queueproxy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Knative's {@code Stat} protobuf ({@code pkg/autoscaler/metrics/stat.proto}), encoded by hand in
 * proto3 wire format, so that Knative's own autoscaler can scrape a Knetty queue-proxy on port 9090
 * without a protobuf runtime in the sidecar:
 *
 * <pre>
 * 1 pod_name                            string  (tag 0x0a, varint length, UTF-8)
 * 2 average_concurrent_requests         double  (tag 0x11, fixed64 little-endian)
 * 3 average_proxied_concurrent_requests double  (tag 0x19)
 * 4 request_count                       double  (tag 0x21)
 * 5 proxied_request_count               double  (tag 0x29)
 * 6 process_uptime                      double  (tag 0x31)
 * 7 timestamp                           int64   (tag 0x38, varint; the queue-proxy leaves it 0)
 * </pre>
 *
 * Fields with the default value (empty, {@code 0.0}) are omitted, as gogo-protobuf's generated
 * marshaller does (it omits {@code -0.0} too). A pod name is at most 253 bytes, so a Stat is at
 * most 301 bytes: within the 336-byte cap of Knative's scraper.
 */
final class KnativeStatProto {

  private KnativeStatProto() {}

  private static final int POD_NAME = (1 << 3) | 2;
  private static final int AVERAGE_CONCURRENCY = (2 << 3) | 1;
  private static final int AVERAGE_PROXIED_CONCURRENCY = (3 << 3) | 1;
  private static final int REQUEST_COUNT = (4 << 3) | 1;
  private static final int PROXIED_REQUEST_COUNT = (5 << 3) | 1;
  private static final int PROCESS_UPTIME = (6 << 3) | 1;

  /** Knative's scraper reads at most this many bytes of a Stat ({@code serving#14523}). */
  static final int MAX_SCRAPE_BYTES = 336;

  /** The Stat with only {@code pod_name} set: what Knative serves before the first report. */
  static byte[] podOnly(String podName) {
    return encode(podName, 0, 0, 0, 0, 0);
  }

  /** The encoded Stat. */
  static byte[] encode(
      String podName,
      double averageConcurrency,
      double averageProxiedConcurrency,
      double requestCount,
      double proxiedRequestCount,
      double processUptime) {
    byte[] pod = podName.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[1 + 5 + pod.length + 5 * 9];
    int i = 0;
    if (pod.length > 0) {
      out[i++] = (byte) POD_NAME;
      i = varint(out, i, pod.length);
      System.arraycopy(pod, 0, out, i, pod.length);
      i += pod.length;
    }
    i = fixed64(out, i, AVERAGE_CONCURRENCY, averageConcurrency);
    i = fixed64(out, i, AVERAGE_PROXIED_CONCURRENCY, averageProxiedConcurrency);
    i = fixed64(out, i, REQUEST_COUNT, requestCount);
    i = fixed64(out, i, PROXIED_REQUEST_COUNT, proxiedRequestCount);
    i = fixed64(out, i, PROCESS_UPTIME, processUptime);
    return Arrays.copyOf(out, i);
  }

  private static int fixed64(byte[] out, int i, int tag, double value) {
    if (value == 0) {
      return i; // proto3 default (and -0.0, as gogo's marshaller)
    }
    long bits = Double.doubleToRawLongBits(value);
    out[i++] = (byte) tag;
    for (int b = 0; b < 8; b++) {
      out[i++] = (byte) (bits >>> (8 * b));
    }
    return i;
  }

  private static int varint(byte[] out, int i, int value) {
    int v = value;
    while ((v & ~0x7F) != 0) {
      out[i++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out[i++] = (byte) v;
    return i;
  }
}
