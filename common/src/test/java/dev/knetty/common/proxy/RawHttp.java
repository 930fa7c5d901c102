package dev.knetty.common.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CheckedOutputStream;
import java.util.zip.Checksum;

/** A blocking HTTP/1.1 client on a plain socket, for tests that need to see the wire. */
final class RawHttp implements AutoCloseable {

  /** A parsed response; header names are lower case, repeated headers joined with ", ". */
  record Response(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  RawHttp(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(5_000);
    in = new java.io.BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  void write(String raw) throws IOException {
    out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  void write(byte[] raw) throws IOException {
    out.write(raw);
    out.flush();
  }

  /** Sends {@code raw} and reads one response. */
  Response exchange(String raw) throws IOException {
    write(raw);
    return read();
  }

  /** A GET with the given extra header lines (each ending in CRLF). */
  Response get(String path, String extraHeaders) throws IOException {
    return exchange("GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extraHeaders + "\r\n");
  }

  /** Reads one response (Content-Length, chunked, or until EOF). */
  Response read() throws IOException {
    return read(false);
  }

  /** Reads one response; {@code headOnly} for HEAD requests. */
  Response read(boolean headOnly) throws IOException {
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
    return new Response(status, head.headers(), body.toString(StandardCharsets.UTF_8));
  }

  /** Reads a response head only (status line and headers). */
  Response readHead() throws IOException {
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
    return new Response(Integer.parseInt(statusLine.split(" ")[1]), headers, "");
  }

  /** Reads a chunked body into {@code checksum} without keeping it; returns its length. */
  long readChunked(Checksum checksum) throws IOException {
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

  /** Whether the server closed the connection (EOF) rather than sending more. */
  boolean closedByPeer() throws IOException {
    return in.read() == -1;
  }

  private String line() throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        int len = sb.length();
        return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
      }
      sb.append((char) c);
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
