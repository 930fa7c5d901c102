package dev.knetty.common.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A request to an {@link AdminHttpServer}, detached from Netty's reference counting: the body is a
 * heap copy (admin bodies are small and bounded by {@link
 * AdminHttpServerConfig#maxContentLength()}) so a handler may keep the request as long as it likes.
 */
public final class AdminRequest {

  private final HttpMethod method;
  private final String uri;
  private final String path;
  private final Map<String, List<String>> queryParameters;
  private final HttpHeaders headers;
  private final byte[] body;
  private final ByteBufAllocator alloc;
  private final EventLoop eventLoop;
  private final SocketAddress remoteAddress;

  AdminRequest(
      HttpMethod method,
      String uri,
      String path,
      Map<String, List<String>> queryParameters,
      HttpHeaders headers,
      byte[] body,
      ByteBufAllocator alloc,
      EventLoop eventLoop,
      SocketAddress remoteAddress) {
    this.method = method;
    this.uri = uri;
    this.path = path;
    this.queryParameters = queryParameters;
    this.headers = headers;
    this.body = body;
    this.alloc = alloc;
    this.eventLoop = eventLoop;
    this.remoteAddress = remoteAddress;
  }

  /** The request method ({@code HEAD} for a HEAD request routed to a GET handler). */
  public HttpMethod method() {
    return method;
  }

  /** The request target as sent, e.g. {@code /metrics?name=x}. */
  public String uri() {
    return uri;
  }

  /** The decoded path of {@link #uri()}, without the query: what routes match on. */
  public String path() {
    return path;
  }

  /** The decoded query parameters, in order; empty if none. */
  public Map<String, List<String>> queryParameters() {
    return queryParameters;
  }

  /** The first value of query parameter {@code name}, or {@code null}. */
  public String queryParameter(String name) {
    List<String> values = queryParameters.get(Objects.requireNonNull(name, "name"));
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** The request headers. */
  public HttpHeaders headers() {
    return headers;
  }

  /** The body, read-only; empty if none. */
  public ByteBuffer body() {
    return ByteBuffer.wrap(body).asReadOnlyBuffer();
  }

  /** The body decoded as UTF-8. */
  public String bodyUtf8() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** The allocator to build the response from. */
  public ByteBufAllocator alloc() {
    return alloc;
  }

  /** The connection's event loop, e.g. to schedule a timer without another thread. */
  public EventLoop eventLoop() {
    return eventLoop;
  }

  /** The client's address. */
  public SocketAddress remoteAddress() {
    return remoteAddress;
  }

  @Override
  public String toString() {
    return method + " " + uri;
  }
}
