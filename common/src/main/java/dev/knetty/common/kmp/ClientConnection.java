package dev.knetty.common.kmp;

import io.netty.channel.ChannelHandlerContext;

/** The client end of one KMP connection; {@link KmpClient} makes a new one per connection. */
final class ClientConnection extends KmpConnection {

  private final KmpClient client;
  private final Hello hello;

  ClientConnection(KmpClient client, KmpClientConfig config, Hello hello) {
    super(
        client.problemLog(),
        config.maxFrameLength(),
        config.maxDictionaryEntries(),
        config.handshakeTimeout(),
        config.heartbeatInterval(),
        config.idleTimeout());
    this.client = client;
    this.hello = hello;
  }

  @Override
  void onActive() {
    ctx.writeAndFlush(hello);
  }

  @Override
  String checkPeerHello(Hello server) {
    if (server.role() != Role.AUTOSCALER) {
      return "role " + server.role() + " in the server's HELLO (expected: AUTOSCALER)";
    }
    return null;
  }

  @Override
  void onHandshake(Hello server) {
    client.connected(this, server);
  }

  @Override
  void onMessage(KmpMessage message) {
    if (message instanceof Decisions) {
      client.decisionsReceived((Decisions) message);
    } else {
      fail(CloseReason.PROTOCOL_ERROR, "STATS from the server");
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      client.flush();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  void onClosed(CloseReason reason, String detail, boolean established) {
    client.disconnected(this, reason, established);
  }

  @Override
  String describe() {
    return "KMP connection to " + client.serverAddress();
  }

  /** Closes with an ERROR GOING_AWAY to the server. */
  void closeLocally() {
    fail(CloseReason.LOCAL_CLOSE, "client closing");
  }
}
