package dev.knetty.common.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The connection timeouts of an HTTP/1.1 server connection, placed before the codec so it sees the
 * first raw byte of each request. Like Go's server: a request head must be complete within the
 * header timeout counted from the connection's start or from the first byte of a later request;
 * between requests the keep-alive idle timeout applies (if any). On expiry the connection is closed
 * without an answer.
 */
final class ConnectionTimeoutHandler extends ChannelInboundHandlerAdapter {

  private enum State {
    AWAIT_HEAD,
    IN_EXCHANGE,
    IDLE
  }

  private final long headerNanos;
  private final long idleNanos;
  private ChannelHandlerContext ctx;
  private State state = State.AWAIT_HEAD;
  private ScheduledFuture<?> timer;

  ConnectionTimeoutHandler(Duration headerTimeout, Duration idleTimeout) {
    this.headerNanos = headerTimeout.toNanos();
    this.idleNanos = idleTimeout.toNanos();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (ctx.channel().isActive()) {
      arm(headerNanos);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (timer == null && state == State.AWAIT_HEAD) {
      arm(headerNanos);
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (state == State.IDLE) {
      state = State.AWAIT_HEAD;
      arm(headerNanos);
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancel();
  }

  /** A request head arrived: no connection timeout while it is being served. */
  void requestStarted() {
    state = State.IN_EXCHANGE;
    cancel();
  }

  /** The exchange ended and the connection waits for the next request. */
  void awaitingRequest() {
    state = State.IDLE;
    cancel();
    if (idleNanos > 0) {
      arm(idleNanos);
    }
  }

  /** Whether the connection waits for a next request of which no byte arrived yet. */
  boolean idle() {
    return state == State.IDLE;
  }

  private void arm(long nanos) {
    cancel();
    State armedFor = state;
    timer =
        ctx.executor()
            .schedule(
                () -> {
                  timer = null;
                  if (state == armedFor) {
                    ctx.close();
                  }
                },
                nanos,
                TimeUnit.NANOSECONDS);
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
