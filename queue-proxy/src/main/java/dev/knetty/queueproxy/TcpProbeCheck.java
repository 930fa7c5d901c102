package dev.knetty.queueproxy;

import dev.knetty.common.net.Transport;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;

/** Knative's TCP probe: ready iff a connection to the address opens in time. */
final class TcpProbeCheck extends ProbeCheck {

  private final ReadinessProbe.TcpSocket action;

  TcpProbeCheck(EventLoop loop, Transport transport, ReadinessProbe.TcpSocket action) {
    super(loop, transport);
    this.action = action;
  }

  @Override
  void run(Attempt a) {
    connect(a, action.host(), action.port(), new ChannelInboundHandlerAdapter())
        .addListener(
            f -> {
              if (f.isSuccess()) {
                a.finish(true, null);
              }
            });
  }

  @Override
  public String toString() {
    return "tcp probe " + authority(action.host(), action.port());
  }
}
