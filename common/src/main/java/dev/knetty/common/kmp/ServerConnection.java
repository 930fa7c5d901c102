package dev.knetty.common.kmp;

import dev.knetty.common.RevisionKey;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** The server end of one KMP connection, and the {@link KmpPeer} the listener sees. */
final class ServerConnection extends KmpConnection implements KmpPeer {

  /** The pending entry of a removed revision. */
  private static final Object REMOVED = new Object();

  private final KmpServer server;
  private final long slowReaderTimeoutMillis;

  /** Latest wins: at most one decision or removal per revision waits for the channel. */
  private final Map<RevisionKey, Object> pending = new ConcurrentHashMap<>();

  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private final Runnable flushTask =
      () -> {
        flushScheduled.set(false);
        flushDecisions();
      };
  private ScheduledFuture<?> slowReaderTimer;

  ServerConnection(KmpServer server, KmpServerConfig config) {
    super(
        server.problemLog(),
        config.maxFrameLength(),
        config.maxDictionaryEntries(),
        config.handshakeTimeout(),
        config.heartbeatInterval(),
        config.idleTimeout());
    this.server = server;
    this.slowReaderTimeoutMillis = config.slowReaderTimeout().toMillis();
  }

  @Override
  void onActive() {
    CloseReason refused = server.connectionOpened(this);
    if (refused != null) {
      fail(refused, refused == CloseReason.LOCAL_CLOSE ? "server closing" : "server at capacity");
    }
  }

  @Override
  String checkPeerHello(Hello hello) {
    if (hello.role() == Role.AUTOSCALER) {
      return "role AUTOSCALER in a client HELLO (expected: QUEUE_PROXY or ACTIVATOR)";
    }
    return null;
  }

  @Override
  void onHandshake(Hello hello) {
    ctx.writeAndFlush(server.hello());
    server.peerConnected(this);
    flushDecisions();
  }

  @Override
  void onMessage(KmpMessage message) {
    if (message instanceof StatBatch) {
      server.statsReceived(this, (StatBatch) message);
    } else {
      fail(CloseReason.PROTOCOL_ERROR, "DECISIONS from a client");
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      if (slowReaderTimer != null) {
        slowReaderTimer.cancel(false);
        slowReaderTimer = null;
      }
      flushDecisions();
    } else if (slowReaderTimer == null) {
      slowReaderTimer =
          ctx.executor()
              .schedule(
                  () -> {
                    slowReaderTimer = null;
                    if (!ctx.channel().isWritable()) {
                      fail(
                          CloseReason.SLOW_READER,
                          "not reading: write buffer above its high water mark for "
                              + slowReaderTimeoutMillis
                              + " ms");
                    }
                  },
                  slowReaderTimeoutMillis,
                  TimeUnit.MILLISECONDS);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  void onClosed(CloseReason reason, String detail, boolean established) {
    if (slowReaderTimer != null) {
      slowReaderTimer.cancel(false);
    }
    pending.clear();
    server.connectionClosed(this, reason, established);
  }

  @Override
  String describe() {
    Hello hello = peerHello();
    return "KMP client "
        + ctx.channel().remoteAddress()
        + (hello == null ? "" : " (" + hello.role() + " " + hello.podName() + ")");
  }

  @Override
  public String toString() {
    return describe();
  }

  // --- KmpPeer ---

  @Override
  public Hello hello() {
    return peerHello();
  }

  @Override
  public SocketAddress remoteAddress() {
    return ctx.channel().remoteAddress();
  }

  @Override
  public boolean isActive() {
    return ctx.channel().isActive();
  }

  @Override
  public void send(Decisions decisions) {
    if (!ctx.channel().isActive()) {
      return;
    }
    for (Decision decision : decisions.decisions()) {
      pending.put(decision.revision(), decision);
    }
    for (RevisionKey revision : decisions.removed()) {
      pending.put(revision, REMOVED);
    }
    if (ctx.executor().inEventLoop()) {
      flushDecisions();
    } else if (flushScheduled.compareAndSet(false, true)) {
      ctx.executor().execute(flushTask);
    }
  }

  @Override
  public void close() {
    ctx.executor().execute(() -> fail(CloseReason.LOCAL_CLOSE, "closed by the server"));
  }

  /**
   * Writes what is pending as one message, if the handshake is done and the channel can take it.
   */
  private void flushDecisions() {
    if (pending.isEmpty() || peerHello() == null || !ctx.channel().isWritable()) {
      return;
    }
    // Take only what is still the latest (a concurrent replacement stays for the next flush).
    // The iteration may meet a key again after a concurrent put: the later value is the newer.
    Map<RevisionKey, Object> taken = new HashMap<>();
    for (Map.Entry<RevisionKey, Object> entry : pending.entrySet()) {
      if (pending.remove(entry.getKey(), entry.getValue())) {
        taken.put(entry.getKey(), entry.getValue());
      }
    }
    List<Decision> decisions = new ArrayList<>(taken.size());
    List<RevisionKey> removed = new ArrayList<>();
    taken.forEach(
        (revision, value) -> {
          if (value == REMOVED) {
            removed.add(revision);
          } else {
            decisions.add((Decision) value);
          }
        });
    if (!decisions.isEmpty() || !removed.isEmpty()) {
      ctx.writeAndFlush(new Decisions(decisions, removed));
    }
  }
}
