package dev.knetty.common.kmp;

import io.netty.handler.codec.DecoderException;
import java.util.Objects;

/**
 * Bad input on a KMP connection: the connection is closed for {@link #reason()}, after an ERROR
 * frame telling the peer. Extends {@link DecoderException} so Netty's decoders pass it on as is.
 */
public final class KmpProtocolException extends DecoderException {

  private static final long serialVersionUID = 1L;

  private final CloseReason reason;

  public KmpProtocolException(CloseReason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** Why the connection must close. */
  public CloseReason reason() {
    return reason;
  }
}
