package dev.knetty.common.kmp;

/**
 * What a {@link KmpServer} reports. All methods are called on the connection's event loop, in order
 * per connection: they must not block and should not compute; hand the data to your own executor
 * (the autoscaler aggregates there). An exception thrown here is logged and ignored.
 */
public interface KmpServerListener {

  /** A client completed its handshake. Send it the current decisions if it is an activator. */
  default void onConnect(KmpPeer peer) {}

  /** Stats arrived from a connected client. {@code batch} is immutable; keep it if you like. */
  void onStats(KmpPeer peer, StatBatch batch);

  /**
   * A client that had connected is gone. Not called for connections that never completed a
   * handshake.
   */
  default void onDisconnect(KmpPeer peer, CloseReason reason) {}
}
