package dev.knetty.common.kmp;

/**
 * The HEARTBEAT frame: sent by either side when it has written nothing for its heartbeat interval,
 * so that the peer's idle detection sees it alive. It has no body.
 */
public record Heartbeat() implements KmpMessage {

  /** The one instance there is any need for. */
  public static final Heartbeat INSTANCE = new Heartbeat();
}
