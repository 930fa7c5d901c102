package dev.knetty.queueproxy;

import dev.knetty.common.proxy.ExchangeOutcome;
import dev.knetty.common.proxy.ProxyExchange;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The optional JSON access log ({@code KNETTY_ACCESS_LOG=json}): one JSON object per line on
 * standard output, per request (probes excluded). Event loops only format the line and offer it to
 * a bounded queue; a dedicated daemon thread writes it, so a slow log sink never blocks the data
 * path. A full queue drops the line and counts it ({@link #dropped()}).
 *
 * <p>The lines bypass the logger on purpose: a log prefix would make them invalid JSON, and the
 * queue-proxy's slf4j-simple cannot format one logger differently from the others.
 */
final class AccessLog implements AutoCloseable {

  private static final int CAPACITY = 8192;
  private static final String STOP = new String("stop"); // an identity sentinel

  private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(CAPACITY);
  private final LongAdder dropped = new LongAdder();
  private final String revision;
  private final String pod;
  private final PrintStream out;
  private final Thread writer;

  AccessLog(String revision, String pod, PrintStream out) {
    this.revision = revision;
    this.pod = pod;
    this.out = out;
    writer = new Thread(this::drain, "queue-proxy-access-log");
    writer.setDaemon(true);
    writer.start();
  }

  /** Formats and queues the line of one request; never blocks. */
  void log(ProxyExchange ex, ExchangeOutcome outcome, boolean proxied) {
    if (!queue.offer(line(ex, outcome, proxied))) {
      dropped.increment();
    }
  }

  /** Lines dropped because the writer fell behind. */
  long dropped() {
    return dropped.sum();
  }

  /** Writes what is queued (waiting at most 5 s), stops the writer and flushes. */
  @Override
  public void close() {
    try {
      if (queue.offer(STOP, 5, TimeUnit.SECONDS)) {
        writer.join(TimeUnit.SECONDS.toMillis(5));
      }
      out.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void drain() {
    try {
      for (String line = queue.take(); line != STOP; line = queue.take()) {
        out.println(line);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  String line(ProxyExchange ex, ExchangeOutcome outcome, boolean proxied) {
    HttpRequest req = ex.request();
    InetSocketAddress remote = ex.remoteAddress();
    StringBuilder sb = new StringBuilder(256);
    sb.append('{');
    field(sb, "time", Instant.now().toString()).append(',');
    field(sb, "method", req.method().name()).append(',');
    field(sb, "uri", req.uri()).append(',');
    field(sb, "protocol", ex.protocol() == ProxyExchange.Protocol.H2C ? "h2c" : "HTTP/1.1")
        .append(',');
    sb.append("\"status\":").append(outcome.status()).append(',');
    field(sb, "outcome", outcome.kind().name()).append(',');
    sb.append("\"requestBytes\":").append(outcome.requestBytes()).append(',');
    sb.append("\"responseBytes\":").append(outcome.responseBytes()).append(',');
    sb.append("\"latencySeconds\":").append(outcome.durationNanos() / 1e9).append(',');
    field(sb, "remoteIp", remote == null ? "" : remote.getAddress().getHostAddress()).append(',');
    field(sb, "userAgent", String.valueOf(req.headers().get(HttpHeaderNames.USER_AGENT, "")))
        .append(',');
    sb.append("\"proxied\":").append(proxied).append(',');
    field(sb, "revision", revision).append(',');
    field(sb, "pod", pod);
    return sb.append('}').toString();
  }

  private static StringBuilder field(StringBuilder sb, String name, String value) {
    sb.append('"').append(name).append("\":\"");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        case '\n':
          sb.append("\\n");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '\t':
          sb.append("\\t");
          break;
        default:
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    return sb.append('"');
  }
}
