package dev.knetty.common.kmp;

import dev.knetty.common.net.PipelineNames;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The life cycle both ends of a KMP connection share: the handshake (and its timeout), heartbeats
 * and idle detection, and closing for a reason, with an ERROR frame to the peer where there is
 * something to tell it. All methods run on the channel's event loop.
 */
abstract class KmpConnection extends ChannelInboundHandlerAdapter {

  private final KmpEncoder encoder;
  private final int maxFrameLength;
  private final int maxDictionaryEntries;
  private final ProblemLog problemLog;
  private final long handshakeTimeoutMillis;
  private final long heartbeatIntervalMillis;
  private final long idleTimeoutMillis;

  ChannelHandlerContext ctx;
  private ScheduledFuture<?> handshakeTimer;
  private long readerIdleMillis;
  private volatile Hello peerHello;
  private CloseReason closeReason;
  private String closeDetail;

  /**
   * @param maxFrameLength the largest frame this side accepts (and, until the peer's HELLO says
   *     less, sends)
   * @param maxDictionaryEntries the most dictionary entries this side accepts (ditto)
   */
  KmpConnection(
      ProblemLog problemLog,
      int maxFrameLength,
      int maxDictionaryEntries,
      Duration handshakeTimeout,
      Duration heartbeatInterval,
      Duration idleTimeout) {
    this.encoder = new KmpEncoder(maxFrameLength, maxDictionaryEntries);
    this.maxFrameLength = maxFrameLength;
    this.maxDictionaryEntries = maxDictionaryEntries;
    this.problemLog = problemLog;
    this.handshakeTimeoutMillis = handshakeTimeout.toMillis();
    this.heartbeatIntervalMillis = heartbeatInterval.toMillis();
    this.idleTimeoutMillis = idleTimeout.toMillis();
  }

  /** Called when the connection is up, before any frame: a client sends its HELLO here. */
  abstract void onActive();

  /** Why the peer's HELLO is unacceptable, or {@code null} if it is fine. */
  abstract String checkPeerHello(Hello hello);

  /** The peer's HELLO was accepted; the idle handler is in place. */
  abstract void onHandshake(Hello hello);

  /** A STATS or DECISIONS message after the handshake. */
  abstract void onMessage(KmpMessage message);

  /** The channel is closed; {@code established} tells whether the handshake had completed. */
  abstract void onClosed(CloseReason reason, String detail, boolean established);

  /** Names the connection in log lines, e.g. {@code "KMP client /10.0.0.7:41234 (ACTIVATOR a)"}. */
  abstract String describe();

  /** Adds the frame decoder, the frame encoder (with this connection's codec) and this handler. */
  final void addTo(ChannelPipeline pipeline) {
    pipeline
        .addLast(
            PipelineNames.KMP_FRAME_DECODER,
            new KmpFrameDecoder(maxFrameLength, maxDictionaryEntries))
        .addLast(PipelineNames.KMP_FRAME_ENCODER, new KmpFrameEncoder(encoder))
        .addLast(PipelineNames.KMP_CONNECTION, this);
  }

  /** The peer's HELLO, or {@code null} before the handshake. */
  final Hello peerHello() {
    return peerHello;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    handshakeTimer =
        ctx.executor()
            .schedule(
                () ->
                    fail(
                        CloseReason.HANDSHAKE_TIMEOUT,
                        "no HELLO within " + handshakeTimeoutMillis + " ms"),
                handshakeTimeoutMillis,
                TimeUnit.MILLISECONDS);
    onActive();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closeReason != null) {
      return; // closing: the rest of the input does not matter
    }
    if (msg instanceof ErrorMessage) {
      ErrorMessage error = (ErrorMessage) msg;
      String detail = "peer sent ERROR " + error.code() + ": " + error.text();
      fail(
          error.code() == ErrorMessage.GOING_AWAY
              ? CloseReason.PEER_CLOSED
              : CloseReason.PEER_ERROR,
          detail);
    } else if (peerHello == null) {
      // The frame decoder lets nothing but HELLO or ERROR through as the first frame.
      handshake((Hello) msg);
    } else if (msg instanceof Hello) {
      fail(CloseReason.PROTOCOL_ERROR, "second HELLO");
    } else if (!(msg instanceof Heartbeat)) {
      onMessage((KmpMessage) msg);
    }
  }

  private void handshake(Hello hello) {
    String problem = checkPeerHello(hello);
    if (problem != null) {
      fail(CloseReason.PROTOCOL_ERROR, problem);
      return;
    }
    handshakeTimer.cancel(false);
    encoder.limitTo(hello);
    // Never expect the peer to be heard from more often than it promised.
    readerIdleMillis = Math.max(idleTimeoutMillis, 2L * hello.heartbeatIntervalMillis());
    ctx.pipeline()
        .addFirst(
            PipelineNames.IDLE_STATE,
            new IdleStateHandler(
                false, readerIdleMillis, heartbeatIntervalMillis, 0, TimeUnit.MILLISECONDS));
    peerHello = hello;
    onHandshake(hello);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (!(evt instanceof IdleStateEvent)) {
      ctx.fireUserEventTriggered(evt);
      return;
    }
    if (((IdleStateEvent) evt).state() == IdleState.READER_IDLE) {
      fail(CloseReason.IDLE_TIMEOUT, "nothing received for " + readerIdleMillis + " ms");
    } else if (ctx.channel().isWritable()) {
      // A reader that does not read gets no heartbeats piled up in its buffer.
      ctx.writeAndFlush(Heartbeat.INSTANCE);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof KmpProtocolException) {
      fail(((KmpProtocolException) cause).reason(), cause.getMessage());
    } else if (cause instanceof DecoderException) {
      Throwable inner = cause.getCause() != null ? cause.getCause() : cause;
      fail(CloseReason.PROTOCOL_ERROR, String.valueOf(inner));
    } else if (cause instanceof IOException) {
      fail(CloseReason.IO_ERROR, String.valueOf(cause));
    } else {
      fail(CloseReason.INTERNAL_ERROR, String.valueOf(cause), cause);
    }
  }

  /**
   * Closes the connection for {@code reason}, once: logs it (problems at most once per interval),
   * tells the peer with an ERROR frame if the reason has a code and the peer can take it, closes.
   */
  final void fail(CloseReason reason, String detail) {
    fail(reason, detail, null);
  }

  private void fail(CloseReason reason, String detail, Throwable bug) {
    if (closeReason != null) {
      return;
    }
    closeReason = reason;
    closeDetail = detail;
    problemLog.closed(describe(), reason, detail, bug);
    if (reason.errorCode() != 0 && ctx.channel().isActive() && ctx.channel().isWritable()) {
      // Best effort: flushed to the socket now if it fits, then the close follows it.
      ctx.writeAndFlush(ErrorMessage.of(reason.errorCode(), detail));
    }
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (handshakeTimer != null) {
      handshakeTimer.cancel(false);
    }
    if (closeReason == null) {
      closeReason = CloseReason.PEER_CLOSED;
      closeDetail = "closed by the peer";
      problemLog.closed(describe(), closeReason, closeDetail, null);
    }
    onClosed(closeReason, closeDetail, peerHello != null);
    ctx.fireChannelInactive();
  }
}
