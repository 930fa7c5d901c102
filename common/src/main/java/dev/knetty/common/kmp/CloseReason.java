package dev.knetty.common.kmp;

/** Why a KMP connection ended; the server counts closed connections by reason. */
public enum CloseReason {
  /** The peer closed the connection, or announced an orderly shutdown (GOING_AWAY). */
  PEER_CLOSED(0),
  /** This side closed it: {@code close()} of the client, the server or a peer. */
  LOCAL_CLOSE(ErrorMessage.GOING_AWAY),
  /** The peer sent an ERROR frame. */
  PEER_ERROR(0),
  /** The peer's HELLO did not arrive within the handshake timeout. */
  HANDSHAKE_TIMEOUT(ErrorMessage.TIMEOUT),
  /** Nothing arrived from the peer within the idle timeout. */
  IDLE_TIMEOUT(ErrorMessage.TIMEOUT),
  /** Server: the peer did not read, so the outbound buffer stayed full for too long. */
  SLOW_READER(0),
  /** The first bytes were not a KMP HELLO (not a KMP peer). */
  BAD_MAGIC(ErrorMessage.BAD_MAGIC),
  /** The peer speaks another major version. */
  UNSUPPORTED_VERSION(ErrorMessage.UNSUPPORTED_VERSION),
  /** A frame was longer than the maximum frame length. */
  FRAME_TOO_LARGE(ErrorMessage.FRAME_TOO_LARGE),
  /** A malformed or unexpected frame (e.g. stats before HELLO, an unknown dictionary id). */
  PROTOCOL_ERROR(ErrorMessage.PROTOCOL_ERROR),
  /** Server: over its maximum number of connections. */
  TOO_MANY_CONNECTIONS(ErrorMessage.OVERLOADED),
  /** A socket error, e.g. a connection reset. */
  IO_ERROR(0),
  /** A bug on this side. */
  INTERNAL_ERROR(ErrorMessage.INTERNAL_ERROR);

  private final int errorCode;

  CloseReason(int errorCode) {
    this.errorCode = errorCode;
  }

  /** The ERROR code to tell the peer before closing, or 0 to close without an ERROR frame. */
  int errorCode() {
    return errorCode;
  }

  /** Whether this is an ordinary end of a connection rather than a problem worth a warning. */
  boolean isOrdinary() {
    return this == PEER_CLOSED || this == LOCAL_CLOSE || this == IO_ERROR;
  }
}
