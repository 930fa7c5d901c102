package dev.knetty.common.kmp;

import dev.knetty.common.log.LogLimiter;
import dev.knetty.common.net.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A queue-proxy's or activator's connection to the autoscaler: sends {@link StatBatch}es, receives
 * {@link Decisions}, and stays connected by itself (reconnecting with jittered exponential backoff,
 * reset after each successful handshake).
 *
 * <p>Stats are lossy by design: {@link #send} never blocks and never queues more than one batch.
 * While the client is not connected, or its connection cannot take more, the newest batch replaces
 * the pending one ({@link #replacedBatches()}); the pending batch goes out as soon as it can. Each
 * connection starts with empty dictionaries.
 *
 * <p>Runs on one event loop of a group it is given (shared with the rest of the component) and
 * never shuts the group down. Thread-safe.
 */
public final class KmpClient implements AutoCloseable {

  /** Where the client is in its connection life cycle. */
  public enum State {
    /** Connecting or in the handshake. */
    CONNECTING,
    /** Handshake done: stats flow. An activator is ready in this state only. */
    CONNECTED,
    /** Waiting to reconnect. */
    DISCONNECTED,
    /** Closed for good. */
    CLOSED
  }

  private static final Logger LOG = LoggerFactory.getLogger(KmpClient.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
  private static final int MAX_BACKOFF_ATTEMPT = 64;

  private final KmpClientConfig config;
  private final KmpClientListener listener;
  private final EventLoop loop;
  private final Bootstrap bootstrap;
  private final Hello hello;
  private final ProblemLog problemLog;
  private final LogLimiter unreachableLog;
  private final LogLimiter connectedLog;
  private final LogLimiter listenerFailures;

  private final AtomicReference<StatBatch> pending = new AtomicReference<>();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private final Runnable flushTask =
      () -> {
        flushScheduled.set(false);
        flush();
      };
  private final LongAdder sentBatches = new LongAdder();
  private final LongAdder replacedBatches = new LongAdder();
  private final LongAdder droppedBatches = new LongAdder();
  private final LongAdder reconnects = new LongAdder();
  private final ChannelFutureListener countWrite =
      future -> (future.isSuccess() ? sentBatches : droppedBatches).increment();
  private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
  private volatile State state = State.CONNECTING;
  private volatile boolean closed;

  // Confined to the event loop (volatile only so tests may look).
  private volatile ClientConnection current;
  private volatile int attempt;
  private ScheduledFuture<?> reconnectTimer;

  private KmpClient(
      KmpClientConfig config,
      Transport transport,
      EventLoopGroup group,
      KmpClientListener listener) {
    this.config = config;
    this.listener = listener;
    this.loop = group.next();
    this.hello =
        Hello.of(
            config.role(),
            config.podName(),
            config.podIp(),
            (int) config.heartbeatInterval().toMillis(),
            config.maxFrameLength(),
            config.maxDictionaryEntries());
    this.problemLog = new ProblemLog(LOG, config.logInterval());
    this.unreachableLog = new LogLimiter(config.logInterval());
    this.connectedLog = new LogLimiter(config.logInterval());
    this.listenerFailures = new LogLimiter(config.logInterval());
    this.bootstrap =
        new Bootstrap()
            .group(loop)
            .channel(transport.socketChannelClass())
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .option(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(
                    config.writeBufferLowWaterMark(), config.writeBufferHighWaterMark()))
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ClientConnection connection =
                        new ClientConnection(KmpClient.this, config, hello);
                    current = connection;
                    connection.addTo(ch.pipeline());
                  }
                });
  }

  /**
   * Starts a client that connects to {@code config.host():config.port()} in the background. Returns
   * at once; watch {@link #state()} or {@link KmpClientListener#onConnected}.
   *
   * @param transport the transport of {@code group} (its socket channel class is used)
   * @param group the event loops to run on; the client uses one of them
   */
  public static KmpClient start(
      KmpClientConfig config,
      Transport transport,
      EventLoopGroup group,
      KmpClientListener listener) {
    KmpClient client =
        new KmpClient(
            Objects.requireNonNull(config, "config"),
            Objects.requireNonNull(transport, "transport"),
            Objects.requireNonNull(group, "group"),
            Objects.requireNonNull(listener, "listener"));
    client.loop.execute(client::connect);
    return client;
  }

  /**
   * Sends {@code batch} now if connected and writable, else keeps it as the pending batch,
   * replacing (and dropping) any older pending one. Never blocks; callable from any thread.
   */
  public void send(StatBatch batch) {
    Objects.requireNonNull(batch, "batch");
    if (closed) {
      droppedBatches.increment();
      return;
    }
    if (pending.getAndSet(batch) != null) {
      replacedBatches.increment();
    }
    if (loop.inEventLoop()) {
      flush();
    } else if (flushScheduled.compareAndSet(false, true)) {
      try {
        loop.execute(flushTask);
      } catch (RejectedExecutionException e) { // the group is shutting down
        flushScheduled.set(false);
      }
    }
  }

  /** The connection state; {@link State#CONNECTED} once the handshake completed. */
  public State state() {
    return state;
  }

  /** Whether the handshake with the autoscaler is done (an activator's readiness). */
  public boolean isConnected() {
    return state == State.CONNECTED;
  }

  /** Batches written to the connection. */
  public long sentBatches() {
    return sentBatches.sum();
  }

  /** Pending batches replaced by a newer one before they could be written. */
  public long replacedBatches() {
    return replacedBatches.sum();
  }

  /** Batches lost otherwise: the write failed (the connection broke) or the client was closed. */
  public long droppedBatches() {
    return droppedBatches.sum();
  }

  /** Reconnect attempts scheduled (after failed connects and lost connections). */
  public long reconnects() {
    return reconnects.sum();
  }

  /**
   * Closes the connection (telling the server GOING_AWAY) and stops reconnecting. Does not block;
   * the future completes when the connection is closed.
   */
  public CompletableFuture<Void> closeAsync() {
    if (!closed) {
      closed = true;
      try {
        loop.execute(this::shutdown);
      } catch (RejectedExecutionException e) {
        finishClose();
      }
    }
    return closeFuture;
  }

  /** {@link #closeAsync()} and waits up to 10 s for it, unless called on the client's loop. */
  @Override
  public void close() {
    CompletableFuture<Void> done = closeAsync();
    if (loop.inEventLoop()) {
      return;
    }
    try {
      done.get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("KMP client to {}: unclean close: {}", serverAddress(), e.toString());
    }
  }

  @Override
  public String toString() {
    return "KmpClient[" + config.role() + " " + config.podName() + " -> " + serverAddress() + "]";
  }

  // --- connection life cycle, on the event loop ---

  private void connect() {
    reconnectTimer = null;
    if (closed) {
      return;
    }
    state = State.CONNECTING;
    String host = config.host();
    InetAddress literal = NetUtil.createInetAddressFromIpAddressString(host);
    if (literal != null) {
      connectTo(new InetSocketAddress(literal, config.port()));
      return;
    }
    // A name lookup blocks: never on the event loop.
    GlobalEventExecutor.INSTANCE.execute(
        () -> {
          Runnable next;
          try {
            InetSocketAddress address =
                new InetSocketAddress(InetAddress.getByName(host), config.port());
            next = () -> connectTo(address);
          } catch (UnknownHostException e) {
            next = () -> connectFailed(e);
          }
          try {
            loop.execute(next);
          } catch (RejectedExecutionException e) {
            finishClose(); // the group is gone
          }
        });
  }

  private void connectTo(InetSocketAddress address) {
    if (closed) {
      return;
    }
    ChannelFuture connect = bootstrap.connect(address);
    connect.addListener(
        (ChannelFutureListener)
            future -> {
              if (!future.isSuccess()) {
                connectFailed(future.cause());
              }
            });
  }

  private void connectFailed(Throwable cause) {
    current = null;
    if (closed) {
      return;
    }
    long suppressed = unreachableLog.tryAcquire();
    if (suppressed >= 0) {
      LOG.warn(
          "KMP server {} unreachable: {}; retrying{}",
          serverAddress(),
          cause,
          LogLimiter.suffix(suppressed));
    }
    scheduleReconnect();
  }

  private void scheduleReconnect() {
    if (closed) {
      return;
    }
    state = State.DISCONNECTED;
    long delay =
        config.reconnectBackoff().delayMillis(attempt, ThreadLocalRandom.current().nextDouble());
    attempt = Math.min(attempt + 1, MAX_BACKOFF_ATTEMPT);
    reconnects.increment();
    reconnectTimer = loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  private void shutdown() {
    if (reconnectTimer != null) {
      reconnectTimer.cancel(false);
    }
    ClientConnection connection = current;
    if (connection == null) {
      finishClose();
      return;
    }
    connection.ctx.channel().closeFuture().addListener(future -> finishClose());
    connection.closeLocally();
  }

  private void finishClose() {
    state = State.CLOSED;
    if (pending.getAndSet(null) != null) {
      droppedBatches.increment();
    }
    closeFuture.complete(null);
  }

  // --- called by ClientConnection, on the event loop ---

  ProblemLog problemLog() {
    return problemLog;
  }

  String serverAddress() {
    return config.host() + ":" + config.port();
  }

  void connected(ClientConnection connection, Hello server) {
    if (closed) {
      connection.closeLocally();
      return;
    }
    attempt = 0;
    state = State.CONNECTED;
    long suppressed = connectedLog.tryAcquire();
    if (suppressed >= 0) {
      LOG.info(
          "KMP connected to {} ({} {}, KMP {}){}",
          serverAddress(),
          server.role(),
          server.podName(),
          server.version(),
          LogLimiter.suffix(suppressed));
    }
    try {
      listener.onConnected(server);
    } catch (RuntimeException e) {
      listenerFailed("onConnected", e);
    }
    flush();
  }

  void decisionsReceived(Decisions decisions) {
    try {
      listener.onDecisions(decisions);
    } catch (RuntimeException e) {
      listenerFailed("onDecisions", e);
    }
  }

  void disconnected(ClientConnection connection, CloseReason reason, boolean established) {
    if (current == connection) {
      current = null;
    }
    if (established) {
      try {
        listener.onDisconnected(reason);
      } catch (RuntimeException e) {
        listenerFailed("onDisconnected", e);
      }
    }
    scheduleReconnect();
  }

  /** Writes the pending batch if the handshake is done and the connection can take it. */
  void flush() {
    ClientConnection connection = current;
    if (connection == null
        || connection.peerHello() == null
        || !connection.ctx.channel().isWritable()) {
      return;
    }
    StatBatch batch = pending.getAndSet(null);
    if (batch != null) {
      connection.ctx.channel().writeAndFlush(batch).addListener(countWrite);
    }
  }

  /** Failed attempts since the last handshake (the backoff position); for tests. */
  int backoffAttempt() {
    return attempt;
  }

  /** The current channel, or {@code null}; for tests. */
  Channel channel() {
    ClientConnection connection = current;
    return connection == null ? null : connection.ctx.channel();
  }

  private void listenerFailed(String method, RuntimeException e) {
    long suppressed = listenerFailures.tryAcquire();
    if (suppressed >= 0) {
      LOG.error("KMP client listener {} failed{}", method, LogLimiter.suffix(suppressed), e);
    }
  }
}
