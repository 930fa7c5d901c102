package dev.knetty.common.proxy;

import dev.knetty.common.net.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reverse-proxy engine shared by the queue-proxy and the activator: HTTP/1.1 and h2c on one
 * port, streamed bodies with backpressure both ways, per-event-loop upstream pools, Knative's
 * timeouts and drain, websocket tunnels. What to do with each request is the {@link ProxyPolicy}'s
 * business.
 *
 * <p><b>Threads.</b> An accepted connection lives on one worker event loop; its exchanges, their
 * timers and their upstream connections (from that loop's pool) live there too, so a request never
 * hops threads and nothing is locked. The public methods here may be called from any thread.
 *
 * <pre>{@code
 * ProxyServer server = ProxyServer.builder(config, policy).build();
 * int port = server.start();
 * ...
 * server.startDrain();                 // SIGTERM: Connection: close, GOAWAY
 * server.whenIdle().get(60, SECONDS);  // in-flight exchanges (and tunnels) done
 * server.close();
 * }</pre>
 */
public final class ProxyServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ProxyServer.class);
  private static final long CLOSE_TIMEOUT_SECONDS = 10;

  private final ProxyContext px;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final boolean ownsGroups;
  private final Object lock = new Object();
  private Channel serverChannel;
  private boolean started;
  private boolean closed;

  private ProxyServer(Builder b) {
    Transport transport = b.transport != null ? b.transport : Transport.fromEnvironment();
    this.px = new ProxyContext(b.config, b.policy, transport);
    if (b.boss != null) {
      this.boss = b.boss;
      this.workers = b.workers;
      this.ownsGroups = false;
    } else {
      this.boss = transport.newEventLoopGroup(1, "proxy-boss");
      this.workers = transport.newEventLoopGroup(b.workerThreads, "proxy-worker");
      this.ownsGroups = true;
    }
  }

  /** A builder for a server with {@code config} and {@code policy}. */
  public static Builder builder(ProxyServerConfig config, ProxyPolicy policy) {
    return new Builder(config, policy);
  }

  /**
   * Binds and starts accepting.
   *
   * @return the bound port (useful with port 0)
   * @throws IllegalStateException if already started or closed, or if binding fails
   */
  public int start() {
    synchronized (lock) {
      if (started || closed) {
        throw new IllegalStateException(closed ? "proxy server closed" : "already started");
      }
      started = true;
      Map<EventExecutor, UpstreamPool> pools = new HashMap<>();
      for (EventExecutor executor : workers) {
        EventLoop loop = (EventLoop) executor;
        pools.put(loop, submit(loop, () -> new UpstreamPool(px, loop)));
      }
      px.pools(pools);
      ServerBootstrap bootstrap =
          new ServerBootstrap()
              .group(boss, workers)
              .channel(px.transport.serverChannelClass())
              .option(ChannelOption.SO_BACKLOG, px.config.listenBacklog())
              .childOption(ChannelOption.AUTO_READ, false)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childOption(ChannelOption.SO_KEEPALIVE, true)
              .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, px.waterMark)
              .childHandler(new ServerInitializer(px));
      ChannelFuture bind =
          bootstrap.bind(px.config.host(), px.config.port()).awaitUninterruptibly();
      if (!bind.isSuccess()) {
        throw new IllegalStateException(
            "cannot bind " + px.config.host() + ":" + px.config.port(), bind.cause());
      }
      serverChannel = bind.channel();
      int port = port();
      LOG.info(
          "proxy listening on {}:{} ({}, {} workers)",
          px.config.host(),
          port,
          px.transport.displayName(),
          pools.size());
      return port;
    }
  }

  /** The bound port, or -1 before {@link #start()}. */
  public int port() {
    synchronized (lock) {
      return serverChannel == null
          ? -1
          : ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }
  }

  /**
   * Starts draining (Knative's SIGTERM behaviour): HTTP/1.1 responses from now on carry {@code
   * Connection: close} and their connection closes after them, idle keep-alive connections close,
   * h2c connections get GOAWAY and close when their streams are done. New connections are still
   * accepted (and drained the same way) until {@link #stopAccepting()}.
   */
  public void startDrain() {
    px.startDrain();
    for (Channel ch : px.connections) {
      ch.eventLoop().execute(() -> drain(ch));
    }
  }

  private static void drain(Channel ch) {
    H2ServerConnectionHandler h2 = ch.pipeline().get(H2ServerConnectionHandler.class);
    if (h2 != null) {
      h2.drain();
      return;
    }
    ClientHandler http1 = ch.pipeline().get(ClientHandler.class);
    if (http1 != null) {
      http1.drain();
    }
  }

  /** Whether {@link #startDrain()} was called. */
  public boolean isDraining() {
    return px.draining();
  }

  /** Closes the listening socket; accepted connections carry on. */
  public CompletableFuture<Void> stopAccepting() {
    Channel ch;
    synchronized (lock) {
      ch = serverChannel;
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (ch == null) {
      done.complete(null);
    } else {
      ch.close().addListener(f -> done.complete(null));
    }
    return done;
  }

  /** Exchanges in progress, including those still waiting for the policy and open tunnels. */
  public int activeExchanges() {
    return px.activeExchanges();
  }

  /**
   * HTTP/1.1 requests answered 400 or 431 by the engine itself (malformed or oversized heads); they
   * never reach the policy.
   */
  public long rejectedRequests() {
    return px.rejectedRequests();
  }

  /** Completes when no exchange is in progress (at once if none is). */
  public CompletableFuture<Void> whenIdle() {
    return px.whenIdle();
  }

  /**
   * Closes the pooled connections to {@code target} on every event loop (an endpoint went away);
   * connections in use close when their exchange ends.
   */
  public void closeUpstream(UpstreamTarget target) {
    Objects.requireNonNull(target, "target");
    for (UpstreamPool pool : px.pools()) {
      pool.execute(() -> pool.closeTarget(target));
    }
  }

  /** Open upstream connections (HTTP/1.1 and h2c), over all event loops. */
  public int upstreamConnections() {
    int n = 0;
    for (UpstreamPool pool : px.pools()) {
      n += pool.connections();
    }
    return n;
  }

  /** Idle pooled HTTP/1.1 upstream connections, over all event loops. */
  public int idleUpstreamConnections() {
    int n = 0;
    for (UpstreamPool pool : px.pools()) {
      n += pool.idleConnections();
    }
    return n;
  }

  /**
   * HTTP/1.1 exchanges waiting for an upstream connection because {@link
   * UpstreamPoolConfig#maxConnectsPerKey()} connects to their target are in flight, over all event
   * loops.
   */
  public int waitingUpstreamAcquisitions() {
    int n = 0;
    for (UpstreamPool pool : px.pools()) {
      n += pool.waitingAcquisitions();
    }
    return n;
  }

  /**
   * Stops accepting, cuts every connection (exchanges in progress end as client aborts), closes the
   * upstream pools and, if the server created them, shuts its event loops down. Blocks until done;
   * do not call it on an event loop.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    stopAccepting().join();
    List<Future<?>> closing = new ArrayList<>();
    for (Channel ch : px.connections) {
      // Not ch.close(): an h2 connection would wait for its streams (graceful GOAWAY).
      closing.add(ch.eventLoop().submit(() -> ch.unsafe().close(ch.unsafe().voidPromise())));
    }
    for (UpstreamPool pool : px.pools()) {
      closing.add(pool.execute(pool::close));
    }
    for (Future<?> f : closing) {
      f.awaitUninterruptibly(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
    if (ownsGroups) {
      Future<?> b = boss.shutdownGracefully(0, CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      Future<?> w = workers.shutdownGracefully(0, CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      b.awaitUninterruptibly(CLOSE_TIMEOUT_SECONDS * 2, TimeUnit.SECONDS);
      w.awaitUninterruptibly(CLOSE_TIMEOUT_SECONDS * 2, TimeUnit.SECONDS);
    }
  }

  private static <T> T submit(EventLoop loop, java.util.concurrent.Callable<T> task) {
    return loop.submit(task).syncUninterruptibly().getNow();
  }

  /** Builds a {@link ProxyServer}. */
  public static final class Builder {
    private final ProxyServerConfig config;
    private final ProxyPolicy policy;
    private Transport transport;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private int workerThreads;

    private Builder(ProxyServerConfig config, ProxyPolicy policy) {
      this.config = Objects.requireNonNull(config, "config");
      this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** The transport (default: {@link Transport#fromEnvironment()}). */
    public Builder transport(Transport value) {
      transport = Objects.requireNonNull(value, "transport");
      return this;
    }

    /**
     * Event loops owned by the caller (they must match the transport); the server does not shut
     * them down. Without this call the server creates its own.
     */
    public Builder eventLoops(EventLoopGroup acceptor, EventLoopGroup workerGroup) {
      boss = Objects.requireNonNull(acceptor, "acceptor");
      workers = Objects.requireNonNull(workerGroup, "workerGroup");
      return this;
    }

    /** Worker threads when the server creates its event loops; 0 means Netty's default. */
    public Builder workerThreads(int value) {
      if (value < 0) {
        throw new IllegalArgumentException("workerThreads: " + value + " (expected: >= 0)");
      }
      workerThreads = value;
      return this;
    }

    /** The server, not started yet. */
    public ProxyServer build() {
      return new ProxyServer(this);
    }
  }
}
