package dev.knetty.common.kmp;

import java.util.Objects;

/**
 * The ERROR frame: why the sender is about to close the connection. Its layout is the same in every
 * major version, so a peer can always tell why it was refused.
 *
 * @param major the sender's protocol major version
 * @param minor the sender's protocol minor version
 * @param code what went wrong, one of the constants here; unknown codes are kept as they are
 * @param text a human-readable reason, at most {@value #MAX_TEXT_LENGTH} characters (longer texts
 *     are cut)
 */
public record ErrorMessage(int major, int minor, int code, String text) implements KmpMessage {

  /** A malformed frame, an unexpected message, an unknown dictionary id, a bad field value. */
  public static final int PROTOCOL_ERROR = 1;

  /** The peer's major version is not supported; the text names both versions. */
  public static final int UNSUPPORTED_VERSION = 2;

  /** A frame was longer than the receiver's maximum frame length. */
  public static final int FRAME_TOO_LARGE = 3;

  /** The first frame did not start with the KMP magic. */
  public static final int BAD_MAGIC = 4;

  /** No HELLO within the handshake timeout, or nothing read within the idle timeout. */
  public static final int TIMEOUT = 5;

  /** The server has too many connections; try again later. */
  public static final int OVERLOADED = 6;

  /** An orderly shutdown, not an error: reconnect (possibly to another replica). */
  public static final int GOING_AWAY = 7;

  /** A bug on the sender's side. */
  public static final int INTERNAL_ERROR = 8;

  public static final int MAX_TEXT_LENGTH = 256;

  public ErrorMessage {
    Checks.range("major", major, 0, 0xFFFF);
    Checks.range("minor", minor, 0, 0xFFFF);
    Checks.atLeast("code", code, 0);
    Objects.requireNonNull(text, "text");
    if (text.length() > MAX_TEXT_LENGTH) {
      text = text.substring(0, MAX_TEXT_LENGTH);
    }
  }

  /** An error of this implementation's protocol version. */
  public static ErrorMessage of(int code, String text) {
    return new ErrorMessage(KmpProtocol.MAJOR_VERSION, KmpProtocol.MINOR_VERSION, code, text);
  }
}
