package dev.knetty.bench.load;

import io.netty.channel.Channel;
import java.util.concurrent.ScheduledFuture;

/** One request, from its intended send time to its outcome. Confined to its lane's event loop. */
final class Exchange {

  final long intendedNanos;
  final boolean measured;

  /** What carries it once sent: the HTTP/1.1 connection or the HTTP/2 stream. */
  Channel channel;

  ScheduledFuture<?> timeout;
  boolean done;

  Exchange(long intendedNanos, boolean measured) {
    this.intendedNanos = intendedNanos;
    this.measured = measured;
  }
}
