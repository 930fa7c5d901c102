package dev.knetty.common.http;

import dev.knetty.common.http.AdminRejections.Reason;
import dev.knetty.common.net.PipelineNames;
import dev.knetty.common.net.Transport;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP/1.1 server for the ports that are not the proxy path: the queue-proxy's admin
 * ({@code /wait-for-drain}) and stats ports, Prometheus {@code /metrics}, the autoscaler's and
 * activator's admin endpoints.
 *
 * <p>Routes are method + exact path, or a prefix ({@code /revisions/*} matches {@code
 * /revisions/ns/name}); HEAD is served by the GET handler without the body. Unknown paths get 404
 * ({@code 404 page not found}, as Go's servers answer), known paths with another method 405 with
 * {@code Allow}; requests the decoder rejects get 400 (or 414 / 431), bodies over {@link
 * AdminHttpServerConfig#maxContentLength()} 413, and the connection is closed. Each such answer is
 * counted in {@code admin.http.rejected}. Handlers are asynchronous ({@link AdminHandler}): a
 * connection answers one request at a time, in order, and holds no thread while a handler waits.
 *
 * <p>The server runs on event-loop groups it is given and does not shut them down.
 *
 * <pre>{@code
 * AdminHttpServer server = AdminHttpServer.builder(AdminHttpServerConfig.of("0.0.0.0", 8022))
 *     .eventLoops(transport, group)
 *     .get("/wait-for-drain", drainHandler)
 *     .build();
 * int port = server.start();
 * ...
 * server.close();
 * }</pre>
 */
public final class AdminHttpServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AdminHttpServer.class);

  private final String name;
  private final AdminHttpServerConfig config;
  private final AdminRoutes routes;
  private final Transport transport;
  private final EventLoopGroup acceptGroup;
  private final EventLoopGroup ioGroup;
  private final AdminRejections rejections;
  private final ChannelGroup connections;
  private final AtomicBoolean closing = new AtomicBoolean();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();

  private volatile Channel serverChannel;

  private AdminHttpServer(Builder b) {
    this.name = b.name;
    this.config = b.config;
    this.routes = new AdminRoutes(b.routes);
    this.transport = b.transport;
    this.acceptGroup = b.acceptGroup;
    this.ioGroup = b.ioGroup;
    this.rejections = new AdminRejections(b.meterRegistry, b.name);
    this.connections = new DefaultChannelGroup(name, GlobalEventExecutor.INSTANCE);
  }

  /** A builder for a server with {@code config}. */
  public static Builder builder(AdminHttpServerConfig config) {
    return new Builder(config);
  }

  /**
   * Binds and starts accepting. Blocks until bound, so call it from a main or test thread, never an
   * event loop.
   *
   * @return the bound port (the chosen one if the configured port is 0)
   * @throws IllegalStateException if the server was started or closed before, or cannot bind
   */
  public synchronized int start() {
    if (serverChannel != null || closing.get()) {
      throw new IllegalStateException(name + ": already started or closed");
    }
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(acceptGroup, ioGroup)
            .channel(transport.serverChannelClass())
            .childOption(ChannelOption.AUTO_READ, false)
            .childHandler(new Initializer());
    ChannelFuture bind = bootstrap.bind(config.host(), config.port()).awaitUninterruptibly();
    if (!bind.isSuccess()) {
      throw new IllegalStateException(
          name + ": cannot listen on " + config.host() + ":" + config.port() + ": " + bind.cause(),
          bind.cause());
    }
    serverChannel = bind.channel();
    int port = port();
    LOG.info("{} listening on {}:{}", name, config.host(), port);
    return port;
  }

  /** The bound port, or -1 before {@link #start()}. */
  public int port() {
    Channel channel = serverChannel;
    return channel == null ? -1 : ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /**
   * Stops accepting, closes idle connections at once and the others as soon as their request in
   * progress is answered. The future completes when every connection is closed.
   */
  public CompletableFuture<Void> closeAsync() {
    if (!closing.compareAndSet(false, true)) {
      return closed;
    }
    Channel channel;
    synchronized (this) {
      channel = serverChannel;
    }
    if (channel == null) {
      closed.complete(null);
      return closed;
    }
    channel
        .close()
        .addListener(
            f -> {
              // Connections accepted after this snapshot see `closing` and close themselves.
              for (Channel connection : connections) {
                connection.pipeline().fireUserEventTriggered(AdminConnectionHandler.GRACEFUL_CLOSE);
              }
              connections.newCloseFuture().addListener(g -> closed.complete(null));
            });
    return closed;
  }

  /**
   * {@link #closeAsync()}, waiting up to {@link AdminHttpServerConfig#shutdownTimeout()} for
   * requests in progress, then closing what is left. Blocks: not for event loops.
   */
  @Override
  public void close() {
    CompletableFuture<Void> done = closeAsync();
    try {
      done.get(config.shutdownTimeout().toNanos(), TimeUnit.NANOSECONDS);
      return;
    } catch (TimeoutException e) {
      LOG.info(
          "{}: {} connection(s) still busy after {}; closing them",
          name,
          connections.size(),
          config.shutdownTimeout());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
    connections.close().awaitUninterruptibly();
  }

  @Override
  public String toString() {
    return "AdminHttpServer{" + name + ", " + config.host() + ":" + port() + '}';
  }

  private final class Initializer extends ChannelInitializer<Channel> {
    @Override
    protected void initChannel(Channel ch) {
      connections.add(ch);
      ch.pipeline()
          .addLast(
              PipelineNames.IDLE_STATE,
              new IdleStateHandler(0, 0, config.idleTimeout().toNanos(), TimeUnit.NANOSECONDS))
          .addLast(PipelineNames.HTTP_SERVER_CODEC, new HttpServerCodec(new HttpDecoderConfig()))
          .addLast(
              PipelineNames.HTTP_AGGREGATOR,
              new BoundedAggregator(config.maxContentLength(), rejections))
          .addLast(PipelineNames.FLOW_CONTROL, new FlowControlHandler())
          .addLast(
              PipelineNames.ADMIN_HANDLER, new AdminConnectionHandler(routes, closing, rejections));
    }
  }

  /** Aggregates admin requests (small, bounded); an oversized one gets a 413 text and a close. */
  static final class BoundedAggregator extends HttpObjectAggregator {
    private final AdminRejections rejections;

    BoundedAggregator(int maxContentLength, AdminRejections rejections) {
      super(maxContentLength, true);
      this.rejections = rejections;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
      rejections.count(Reason.BODY_TOO_LARGE);
      FullHttpResponse response =
          TextResponses.of(
              ctx.alloc(), Reason.BODY_TOO_LARGE.status, Reason.BODY_TOO_LARGE.message);
      HttpUtil.setKeepAlive(response, false);
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** Collects the routes and resources of an {@link AdminHttpServer}. */
  public static final class Builder {
    private final AdminHttpServerConfig config;
    private final Map<String, Map<HttpMethod, AdminHandler>> routes = new LinkedHashMap<>();
    private String name = "admin";
    private Transport transport;
    private EventLoopGroup acceptGroup;
    private EventLoopGroup ioGroup;
    private MeterRegistry meterRegistry;

    private Builder(AdminHttpServerConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /** A short name for logs and the {@code server} tag of metrics, e.g. {@code queue-admin}. */
    public Builder name(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("name: '" + name + "' (expected: not blank)");
      }
      this.name = name;
      return this;
    }

    /** One event-loop group both accepts and serves connections. */
    public Builder eventLoops(Transport transport, EventLoopGroup group) {
      return eventLoops(transport, group, group);
    }

    /** The transport (its channel class must match the groups) and the groups to run on. */
    public Builder eventLoops(
        Transport transport, EventLoopGroup acceptGroup, EventLoopGroup ioGroup) {
      this.transport = Objects.requireNonNull(transport, "transport");
      this.acceptGroup = Objects.requireNonNull(acceptGroup, "acceptGroup");
      this.ioGroup = Objects.requireNonNull(ioGroup, "ioGroup");
      return this;
    }

    /** Where to count rejected requests; without one, nothing is counted. */
    public Builder meterRegistry(MeterRegistry meterRegistry) {
      this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
      return this;
    }

    /**
     * Routes {@code method} on exactly {@code path} (no query, no trailing-slash folding) to {@code
     * handler}. A path ending in {@code /*} routes every longer path under it (the handler reads
     * {@link AdminRequest#path()}); an exact route or a longer prefix takes precedence.
     *
     * @throws IllegalArgumentException if the path does not start with {@code /} or the route
     *     exists
     */
    public Builder route(HttpMethod method, String path, AdminHandler handler) {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(handler, "handler");
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("path: '" + path + "' (expected: starts with /)");
      }
      AdminHandler previous =
          routes.computeIfAbsent(path, p -> new LinkedHashMap<>()).putIfAbsent(method, handler);
      if (previous != null) {
        throw new IllegalArgumentException(
            "route: " + method + " " + path + " (expected: not routed yet)");
      }
      return this;
    }

    /** Routes GET (and so HEAD) on {@code path}. */
    public Builder get(String path, AdminHandler handler) {
      return route(HttpMethod.GET, path, handler);
    }

    /**
     * The server, not yet listening.
     *
     * @throws IllegalStateException if {@link #eventLoops} was not called
     */
    public AdminHttpServer build() {
      if (transport == null) {
        throw new IllegalStateException("eventLoops: not set (expected: a transport and groups)");
      }
      if (meterRegistry == null) {
        // A composite without children hands out no-op meters.
        meterRegistry = new CompositeMeterRegistry();
      }
      return new AdminHttpServer(this);
    }
  }
}
