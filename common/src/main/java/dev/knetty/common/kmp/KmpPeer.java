package dev.knetty.common.kmp;

import java.net.SocketAddress;

/**
 * A connected client of a {@link KmpServer}, as its {@link KmpServerListener} sees it. Thread-safe.
 */
public interface KmpPeer {

  /** The client's HELLO: its role, pod name, pod IP and protocol version. */
  Hello hello();

  /** The client's address. */
  SocketAddress remoteAddress();

  /** Whether the connection is still open. */
  boolean isActive();

  /**
   * Sends decisions to the client; never blocks, callable from any thread. While the connection
   * cannot take more (the client reads slowly), decisions wait, and a newer decision or removal for
   * a revision replaces the waiting one: at most one entry per revision is ever pending. On a
   * closed connection this does nothing; after a reconnect, send the full state to the new peer.
   */
  void send(Decisions decisions);

  /** Closes the connection (with an ERROR GOING_AWAY to the client). */
  void close();
}
