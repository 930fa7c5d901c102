package dev.knetty.queueproxy;

import dev.knetty.common.net.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One way of checking the app (TCP connect, HTTP GET, gRPC health), one attempt at a time, with a
 * Netty client on the prober's event loop. An attempt never fails its future: it succeeds with
 * {@code true} (ready) or {@code false} (not ready, including errors and timeouts).
 */
abstract class ProbeCheck {

  private static final Logger LOG = LoggerFactory.getLogger(ProbeCheck.class);

  final EventLoop loop;
  final Transport transport;

  ProbeCheck(EventLoop loop, Transport transport) {
    this.loop = loop;
    this.transport = transport;
  }

  /** Starts an attempt bounded by {@code timeoutNanos}; call on any thread. */
  final Future<Boolean> attempt(long timeoutNanos) {
    Attempt a = new Attempt(loop.newPromise(), System.nanoTime() + timeoutNanos);
    if (loop.inEventLoop()) {
      start(a);
    } else {
      loop.execute(() -> start(a));
    }
    return a.result;
  }

  private void start(Attempt a) {
    a.timer =
        loop.schedule(() -> a.finish(false, "timed out"), a.nanosLeft(), TimeUnit.NANOSECONDS);
    run(a);
  }

  /** Runs the attempt: connect with {@link #connect}, and {@link Attempt#finish} when known. */
  abstract void run(Attempt a);

  /** Connects to {@code host:port} with {@code handler}, bounded by the attempt's time left. */
  final ChannelFuture connect(Attempt a, String host, int port, ChannelHandler handler) {
    Bootstrap b =
        new Bootstrap()
            .group(loop)
            .channel(transport.socketChannelClass())
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(a.nanosLeft())))
            .option(ChannelOption.TCP_NODELAY, true)
            .handler(handler);
    ChannelFuture f = b.connect(address(host, port));
    a.channel = f.channel();
    f.addListener(
        c -> {
          if (!c.isSuccess()) {
            a.finish(false, String.valueOf(c.cause()));
          }
        });
    return f;
  }

  /** An address without a name lookup (hosts are IP literals or {@code localhost}). */
  static InetSocketAddress address(String host, int port) {
    InetAddress literal = NetUtil.createInetAddressFromIpAddressString(host);
    return new InetSocketAddress(
        literal != null ? literal : InetAddress.getLoopbackAddress(), port);
  }

  /** {@code host:port}, IPv6 in brackets: the probe's {@code Host} / {@code :authority}. */
  static String authority(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /** One attempt: its result, deadline, timer and channel; confined to the loop. */
  final class Attempt {
    final Promise<Boolean> result;
    final long deadlineNanos;
    ScheduledFuture<?> timer;
    Channel channel;

    Attempt(Promise<Boolean> result, long deadlineNanos) {
      this.result = result;
      this.deadlineNanos = deadlineNanos;
    }

    long nanosLeft() {
      return Math.max(0, deadlineNanos - System.nanoTime());
    }

    boolean isDone() {
      return result.isDone();
    }

    /** Ends the attempt (the first call wins) and closes its connection. */
    void finish(boolean ready, String why) {
      if (result.isDone()) {
        return;
      }
      if (timer != null) {
        timer.cancel(false);
      }
      if (channel != null) {
        channel.close();
      }
      if (!ready) {
        LOG.debug("{}: not ready: {}", ProbeCheck.this, why);
      }
      result.trySuccess(ready);
    }
  }
}
