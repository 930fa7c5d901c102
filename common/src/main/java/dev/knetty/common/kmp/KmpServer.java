package dev.knetty.common.kmp;

import dev.knetty.common.log.LogLimiter;
import dev.knetty.common.net.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The autoscaler's end of KMP: accepts queue-proxies and activators, decodes their stats on the
 * event loops and hands each batch to a {@link KmpServerListener}; sends decisions through {@link
 * KmpPeer#send}. Bad clients (garbage, oversized frames, wrong version, no HELLO in time, silent,
 * or not reading) are closed and counted by {@link CloseReason}, without affecting the others.
 *
 * <p>It runs on event-loop groups it is given and does not shut them down.
 */
public final class KmpServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KmpServer.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  private final KmpServerConfig config;
  private final KmpServerListener listener;
  private final Hello hello;
  private final ProblemLog problemLog;
  private final LogLimiter listenerFailures;
  private final Set<ServerConnection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connectionCount = new AtomicInteger();
  private final LongAdder[] closedByReason = new LongAdder[CloseReason.values().length];
  private final LongAdder receivedBatches = new LongAdder();
  private final LongAdder receivedStats = new LongAdder();
  private final Channel serverChannel;
  private volatile boolean closing;

  private KmpServer(
      KmpServerConfig config,
      Transport transport,
      EventLoopGroup bossGroup,
      EventLoopGroup workerGroup,
      KmpServerListener listener) {
    this.config = config;
    this.listener = listener;
    this.hello =
        Hello.of(
            Role.AUTOSCALER,
            config.podName(),
            config.podIp(),
            (int) config.heartbeatInterval().toMillis(),
            config.maxFrameLength(),
            config.maxDictionaryEntries());
    this.problemLog = new ProblemLog(LOG, config.logInterval());
    this.listenerFailures = new LogLimiter(config.logInterval());
    for (int i = 0; i < closedByReason.length; i++) {
      closedByReason[i] = new LongAdder();
    }
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(bossGroup, workerGroup)
            .channel(transport.serverChannelClass())
            .option(ChannelOption.SO_BACKLOG, config.backlog())
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.SO_KEEPALIVE, true)
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(
                    config.writeBufferLowWaterMark(), config.writeBufferHighWaterMark()))
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    new ServerConnection(KmpServer.this, config).addTo(ch.pipeline());
                  }
                });
    ChannelFuture bind = bootstrap.bind(config.host(), config.port()).awaitUninterruptibly();
    if (!bind.isSuccess()) {
      String message =
          "KMP server: cannot bind " + config.host() + ":" + config.port() + ": " + bind.cause();
      if (bind.cause() instanceof IOException) {
        throw new UncheckedIOException(message, (IOException) bind.cause());
      }
      throw new IllegalStateException(message, bind.cause());
    }
    this.serverChannel = bind.channel();
    LOG.info(
        "KMP server listening on {} (KMP {}.{})",
        serverChannel.localAddress(),
        KmpProtocol.MAJOR_VERSION,
        KmpProtocol.MINOR_VERSION);
  }

  /**
   * Binds {@code config.host():config.port()} and starts accepting. Blocks until bound.
   *
   * @param transport the transport of both groups (its server channel class is used)
   * @param bossGroup accepts connections
   * @param workerGroup runs the connections; decoding and the listener run here
   * @throws UncheckedIOException if the address cannot be bound
   */
  public static KmpServer start(
      KmpServerConfig config,
      Transport transport,
      EventLoopGroup bossGroup,
      EventLoopGroup workerGroup,
      KmpServerListener listener) {
    return new KmpServer(
        Objects.requireNonNull(config, "config"),
        Objects.requireNonNull(transport, "transport"),
        Objects.requireNonNull(bossGroup, "bossGroup"),
        Objects.requireNonNull(workerGroup, "workerGroup"),
        Objects.requireNonNull(listener, "listener"));
  }

  /** The bound address (with the actual port when the config asked for port 0). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) serverChannel.localAddress();
  }

  /** Open connections, including those still in their handshake. */
  public int activeConnections() {
    return connectionCount.get();
  }

  /** How many connections closed for {@code reason} since the start. */
  public long closedConnections(CloseReason reason) {
    return closedByReason[reason.ordinal()].sum();
  }

  /** Stat batches (STATS frames) received and handed to the listener. */
  public long receivedBatches() {
    return receivedBatches.sum();
  }

  /** Stats received and handed to the listener. */
  public long receivedStats() {
    return receivedStats.sum();
  }

  /**
   * Stops accepting, closes every connection (telling each client GOING_AWAY) and completes when
   * all are closed. Does not block.
   */
  public CompletableFuture<Void> closeAsync() {
    closing = true;
    List<CompletableFuture<Void>> closed = new ArrayList<>();
    closed.add(completion(serverChannel.close()));
    for (ServerConnection connection : connections) {
      connection.close();
      closed.add(completion(connection.ctx.channel().closeFuture()));
    }
    return CompletableFuture.allOf(closed.toArray(new CompletableFuture<?>[0]));
  }

  /**
   * {@link #closeAsync()} and waits up to 10 s for it. Do not call it on an event loop of the
   * server's groups.
   */
  @Override
  public void close() {
    try {
      closeAsync().get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("KMP server on {}: unclean close: {}", serverChannel.localAddress(), e.toString());
    }
  }

  private static CompletableFuture<Void> completion(ChannelFuture future) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    future.addListener(f -> done.complete(null));
    return done;
  }

  // --- called by ServerConnection, on its event loop ---

  ProblemLog problemLog() {
    return problemLog;
  }

  Hello hello() {
    return hello;
  }

  /** Registers a new connection; the reason to refuse it, or {@code null} to accept it. */
  CloseReason connectionOpened(ServerConnection connection) {
    connections.add(connection);
    if (connectionCount.incrementAndGet() > config.maxConnections()) {
      return CloseReason.TOO_MANY_CONNECTIONS;
    }
    return closing ? CloseReason.LOCAL_CLOSE : null;
  }

  void peerConnected(ServerConnection peer) {
    try {
      listener.onConnect(peer);
    } catch (RuntimeException e) {
      listenerFailed("onConnect", peer, e);
    }
  }

  void statsReceived(ServerConnection peer, StatBatch batch) {
    try {
      listener.onStats(peer, batch);
    } catch (RuntimeException e) {
      listenerFailed("onStats", peer, e);
    }
    receivedBatches.increment();
    receivedStats.add(batch.size());
  }

  void connectionClosed(ServerConnection peer, CloseReason reason, boolean established) {
    connections.remove(peer);
    if (established) {
      try {
        listener.onDisconnect(peer, reason);
      } catch (RuntimeException e) {
        listenerFailed("onDisconnect", peer, e);
      }
    }
    // Counted last: whoever sees the count also sees what the listener was told.
    connectionCount.decrementAndGet();
    closedByReason[reason.ordinal()].increment();
  }

  private void listenerFailed(String method, ServerConnection peer, RuntimeException e) {
    long suppressed = listenerFailures.tryAcquire();
    if (suppressed >= 0) {
      LOG.error(
          "KMP server listener {} failed for {}{}", method, peer, LogLimiter.suffix(suppressed), e);
    }
  }
}
