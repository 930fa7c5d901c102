package dev.knetty.common.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CheckedOutputStream;
import java.util.zip.Checksum;

/**
 * A blocking HTTP/1.1 client on one plain socket, for what well-behaved clients never send (any
 * Host, any header, malformed requests) and for seeing exactly what came back on the wire.
 */
public final class RawHttp implements AutoCloseable {

  /** A parsed response; header names in lower case, repeated headers joined with ", ". */
  public record Response(int status, Map<String, String> headers, byte[] bodyBytes) {
    /** The body as UTF-8. */
    public String body() {
      return new String(bodyBytes, StandardCharsets.UTF_8);
    }

    /** The value of header {@code name} (any case), or null. */
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private static final byte[] NO_BODY = new byte[0];

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  /** Connects to {@code 127.0.0.1:port}; reads time out after 30 s (a hang fails, not blocks). */
  public RawHttp(int port) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 30_000);
    socket.setSoTimeout(30_000);
    in = new BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** Writes {@code raw} (head and body, as given) as ISO-8859-1. */
  public RawHttp write(String raw) throws IOException {
    return write(raw.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Writes {@code raw}. */
  public RawHttp write(byte[] raw) throws IOException {
    out.write(raw);
    out.flush();
    return this;
  }

  /** Writes {@code raw} and reads one response. */
  public Response exchange(String raw) throws IOException {
    return write(raw).read();
  }

  /** {@code GET path} with {@code Host: test} and the extra header lines (each ending in CRLF). */
  public Response get(String path, String extraHeaders) throws IOException {
    return exchange("GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extraHeaders + "\r\n");
  }

  /** Reads one response (Content-Length, chunked, or until EOF), skipping interim responses. */
  public Response read() throws IOException {
    return read(false);
  }

  /** Reads one response; {@code headOnly} for HEAD requests (no body whatever the headers say). */
  public Response read(boolean headOnly) throws IOException {
    Response head = readHead();
    int status = head.status();
    if (status < 200 && status != 101) {
      return read(headOnly); // skip interim responses
    }
    if (headOnly || status == 204 || status == 304 || status == 101) {
      return head;
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (head.header("content-length") != null) {
      body.write(in.readNBytes(Integer.parseInt(head.header("content-length"))));
    } else if ("chunked".equalsIgnoreCase(head.header("transfer-encoding"))) {
      copyChunked(body);
    } else {
      body.write(in.readAllBytes());
    }
    return new Response(status, head.headers(), body.toByteArray());
  }

  /** Reads a response head only (status line and headers): for HEAD, or to read the body later. */
  public Response readHead() throws IOException {
    String statusLine = line();
    if (statusLine == null) {
      throw new IOException("connection closed before a response");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    String l;
    while ((l = line()) != null && !l.isEmpty()) {
      int colon = l.indexOf(':');
      headers.merge(
          l.substring(0, colon).strip().toLowerCase(Locale.ROOT),
          l.substring(colon + 1).strip(),
          (a, b) -> a + ", " + b);
    }
    return new Response(Integer.parseInt(statusLine.split(" ")[1]), headers, NO_BODY);
  }

  /** Reads a chunked body into {@code checksum} without keeping it; returns its length. */
  public long readChunked(Checksum checksum) throws IOException {
    return copyChunked(new CheckedOutputStream(OutputStream.nullOutputStream(), checksum));
  }

  private long copyChunked(OutputStream sink) throws IOException {
    long total = 0;
    byte[] buf = new byte[64 * 1024];
    while (true) {
      String sizeLine = line();
      if (sizeLine == null) {
        throw new IOException("EOF before the end of a chunked body");
      }
      int size = Integer.parseInt(sizeLine.split(";")[0].strip(), 16);
      if (size == 0) {
        String l;
        while ((l = line()) != null && !l.isEmpty()) {
          // trailers
        }
        return total;
      }
      int left = size;
      while (left > 0) {
        int n = in.read(buf, 0, Math.min(buf.length, left));
        if (n < 0) {
          throw new IOException("EOF inside a chunk");
        }
        sink.write(buf, 0, n);
        left -= n;
        total += n;
      }
      line();
    }
  }

  /**
   * Whether the server closed the connection (EOF or reset) rather than sending more, waiting up to
   * the read timeout.
   */
  public boolean closedByPeer() throws IOException {
    try {
      return in.read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int c = in.read(); c != -1; c = in.read()) {
      if (c == '\n') {
        String s = line.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      line.write(c);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
