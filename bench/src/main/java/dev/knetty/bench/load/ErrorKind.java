package dev.knetty.bench.load;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http2.Http2Exception;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;

/** Why a request failed. In results, errors are counted by {@link #key(int)}. */
public enum ErrorKind {
  /** The target refused the TCP connection (nothing listens). */
  CONNECT_REFUSED,
  /** No full response within the request timeout (counted from the intended send time). */
  TIMEOUT,
  /** The connection or stream was reset or closed before the full response. */
  RESET,
  /** A response with status 400 or above; counted per status code. */
  STATUS,
  /** Open loop: no connection was free and the wait queue was full. */
  QUEUE_FULL,
  /** Anything else (e.g. a malformed response). */
  OTHER;

  /** The key errors are counted under: {@code timeout}, ..., or {@code status_503}. */
  public String key(int status) {
    return this == STATUS ? "status_" + status : name().toLowerCase(Locale.ROOT);
  }

  /** The kind of a transport failure. */
  static ErrorKind of(Throwable cause) {
    if (cause instanceof ConnectTimeoutException) {
      return TIMEOUT;
    }
    String message = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
    if (cause instanceof ConnectException) {
      return message.contains("refused") ? CONNECT_REFUSED : OTHER;
    }
    if (cause instanceof Http2Exception.StreamException
        || cause instanceof ClosedChannelException
        || (cause instanceof IOException
            && (message.contains("reset") || message.contains("broken pipe")))) {
      return RESET;
    }
    return OTHER;
  }
}
