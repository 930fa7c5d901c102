package dev.knetty.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;

/** A keep-alive connection of a {@link Lane}'s pool. Confined to the lane's event loop. */
abstract class Connection {

  final Lane lane;
  final int slot;
  Channel channel;

  /** Connected and not yet closed. */
  boolean open;

  Connection(Lane lane, int slot) {
    this.lane = lane;
    this.slot = slot;
  }

  /** Connects; reports to {@link Lane#connected} or {@link Lane#connectFailed}. */
  final void connect(Bootstrap bootstrap) {
    ChannelFuture connected = bootstrap.handler(initializer()).connect();
    channel = connected.channel();
    connected.addListener(
        f -> {
          if (f.isSuccess()) {
            open = true;
            lane.connected(this);
          } else {
            lane.connectFailed(this, f.cause());
          }
        });
  }

  /** Sets up the connection's pipeline. */
  abstract ChannelInitializer<Channel> initializer();

  /** Whether {@link #send} would start the exchange now. */
  abstract boolean canSend();

  /** Sends the request of {@code exchange}; the outcome goes to the lane. */
  abstract void send(Exchange exchange);

  void close() {
    if (channel != null) {
      channel.close();
    }
  }
}
