package dev.knetty.common.kmp;

/**
 * What a {@link KmpClient} reports. All methods are called on the client's event loop: they must
 * not block. An exception thrown here is logged and ignored.
 */
public interface KmpClientListener {

  /** A listener that ignores everything: for a queue-proxy, which receives no decisions. */
  static KmpClientListener noop() {
    return decisions -> {};
  }

  /** Decisions from the autoscaler (an activator's throttler input). Immutable. */
  void onDecisions(Decisions decisions);

  /** The handshake with the autoscaler completed; {@code server} is its HELLO. */
  default void onConnected(Hello server) {}

  /** The connection that had completed its handshake is gone; the client reconnects by itself. */
  default void onDisconnected(CloseReason reason) {}
}
