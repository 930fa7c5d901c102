package dev.knetty.common.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

/**
 * Short plain-text answers, byte for byte like Go's {@code http.Error}, which is what Knative's
 * components send: {@code text/plain; charset=utf-8}, {@code X-Content-Type-Options: nosniff}, the
 * message and a newline.
 */
public final class TextResponses {

  private TextResponses() {}

  public static final AsciiString TEXT_PLAIN_UTF8 = AsciiString.cached("text/plain; charset=utf-8");

  private static final AsciiString X_CONTENT_TYPE_OPTIONS =
      AsciiString.cached("x-content-type-options");
  private static final AsciiString NOSNIFF = AsciiString.cached("nosniff");

  /** The body Go's {@code http.Error} writes for {@code message}. */
  public static ByteBuf body(ByteBufAllocator alloc, String message) {
    ByteBuf buf = alloc.buffer(ByteBufUtil.utf8MaxBytes(message) + 1);
    ByteBufUtil.writeUtf8(buf, message);
    buf.writeByte('\n');
    return buf;
  }

  /** A complete response carrying {@code message}; the caller owns (and must write) it. */
  public static FullHttpResponse of(
      ByteBufAllocator alloc, HttpResponseStatus status, String message) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body(alloc, message));
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, TEXT_PLAIN_UTF8)
        .set(X_CONTENT_TYPE_OPTIONS, NOSNIFF)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
    return response;
  }

  /**
   * A complete response whose body is exactly {@code message}: what Go sends for {@code
   * WriteHeader(status); Write(message)} (content type sniffed as text, no trailing newline, no
   * {@code nosniff}). Knative answers its 502 proxy errors and 504 timeouts this way.
   */
  public static FullHttpResponse plain(
      ByteBufAllocator alloc, HttpResponseStatus status, String message) {
    ByteBuf body = alloc.buffer(ByteBufUtil.utf8MaxBytes(message));
    ByteBufUtil.writeUtf8(body, message);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, TEXT_PLAIN_UTF8)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    return response;
  }

  /** A complete response with no body (e.g. a bare 503 of a failed readiness probe). */
  public static FullHttpResponse empty(ByteBufAllocator alloc, HttpResponseStatus status) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, alloc.buffer(0));
    response.headers().set(HttpHeaderNames.CONTENT_LENGTH, HttpHeaderValues.ZERO);
    return response;
  }
}
