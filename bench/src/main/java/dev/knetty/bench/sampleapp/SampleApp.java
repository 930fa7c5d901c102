package dev.knetty.bench.sampleapp;

import dev.knetty.common.net.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Knetty's test workload, modelled on Knative's autoscale test image and helloworld: one port
 * serving HTTP/1.1, h2c (prior knowledge and {@code Upgrade: h2c}) and websockets.
 *
 * <ul>
 *   <li>{@code /?sleep=MS&prime=N&bloat=MB} like Knative's image (each part optional and run in
 *       parallel); {@code /} without parameters answers {@code Hello World!}.
 *   <li>{@code /healthz}: 200.
 *   <li>{@code /ws}: websocket echo (text and binary).
 *   <li>{@code /sse?n=10&interval=100}: server-sent events, flushed one by one.
 *   <li>Bad parameters: 400 with a text naming the parameter.
 * </ul>
 *
 * <p>Usable in-process: {@link #start()} binds and returns the port, {@link #close()} shuts down
 * gracefully.
 */
public final class SampleApp implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SampleApp.class);

  /** Tells every connection to finish what it is doing and close. */
  enum Drain {
    INSTANCE
  }

  private final SampleAppConfig config;
  private final Transport transport;
  private final ExecutorService work;
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final AtomicInteger inFlight = new AtomicInteger();
  private final CountDownLatch closed = new CountDownLatch(1);
  private EventLoopGroup group;
  private Channel server;
  private volatile boolean closing;

  /** Runs {@link SampleAppCommand}: {@code java -cp ... dev.knetty.bench.sampleapp.SampleApp}. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new SampleAppCommand()).execute(args));
  }

  /** An app on the transport chosen by the environment ({@code KNETTY_TRANSPORT}). */
  public SampleApp(SampleAppConfig config) {
    this(config, Transport.fromEnvironment(), newWorkExecutor(config));
  }

  SampleApp(SampleAppConfig config, Transport transport, ExecutorService work) {
    this.config = Objects.requireNonNull(config, "config");
    this.transport = Objects.requireNonNull(transport, "transport");
    this.work = Objects.requireNonNull(work, "work");
  }

  private static ExecutorService newWorkExecutor(SampleAppConfig config) {
    return new ThreadPoolExecutor(
        config.workThreads(),
        config.workThreads(),
        0,
        TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(config.workQueue()),
        new DefaultThreadFactory("sample-app-work", true));
  }

  /**
   * Binds the configured address.
   *
   * @return the bound port (useful with port 0)
   * @throws IllegalStateException if already started or closed
   */
  public synchronized int start() throws InterruptedException {
    if (group != null || closing) {
      throw new IllegalStateException("sample app: already started");
    }
    group = transport.newEventLoopGroup(config.ioThreads(), "sample-app");
    try {
      server =
          new ServerBootstrap()
              .group(group)
              .channel(transport.serverChannelClass())
              // As large as the OS allows, as Go's servers do: a burst of new connections must not
              // find the accept queue full.
              .option(ChannelOption.SO_BACKLOG, NetUtil.SOMAXCONN)
              .childHandler(new SampleAppInitializer(this))
              .bind(new InetSocketAddress(config.host(), config.port()))
              .sync()
              .channel();
    } catch (Exception e) { // includes bind failures, which Netty throws sneakily
      close();
      throw e;
    }
    LOG.info("sample app listening on {} ({})", server.localAddress(), transport.displayName());
    return port();
  }

  /** The bound port; -1 before {@link #start()}. */
  public int port() {
    Channel s = server;
    return s == null ? -1 : ((InetSocketAddress) s.localAddress()).getPort();
  }

  /**
   * Graceful shutdown, like Go's {@code http.Server.Shutdown} that Knative's images use: stop
   * accepting, close idle connections, let requests in flight finish (HTTP/2 connections get a
   * GOAWAY, websockets a 1001 close), and after {@code shutdownGrace} close whatever is left.
   * Idempotent; returns when everything is shut down.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closing) {
        awaitClosedUninterruptibly();
        return;
      }
      closing = true;
    }
    try {
      if (server != null) {
        server.close().syncUninterruptibly();
      }
      for (Channel ch : connections) {
        ch.eventLoop().execute(() -> drain(ch));
      }
      if (!connections.newCloseFuture().awaitUninterruptibly(config.shutdownGrace().toMillis())) {
        LOG.info(
            "closing {} connections still busy after the {} ms grace",
            connections.size(),
            config.shutdownGrace().toMillis());
        connections.close().awaitUninterruptibly();
      }
    } finally {
      work.shutdownNow();
      if (group != null) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      }
      LOG.info("sample app stopped");
      closed.countDown();
    }
  }

  private static void drain(Channel ch) {
    if (ch.pipeline().get(Http2FrameCodec.class) != null) {
      ch.close(); // Http2ConnectionHandler: GOAWAY, then waits for active streams.
    } else {
      ch.pipeline().fireUserEventTriggered(Drain.INSTANCE);
    }
  }

  /** Blocks until {@link #close()} has finished. */
  public void awaitClosed() throws InterruptedException {
    closed.await();
  }

  private void awaitClosedUninterruptibly() {
    boolean interrupted = false;
    while (true) {
      try {
        closed.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  SampleAppConfig config() {
    return config;
  }

  ExecutorService work() {
    return work;
  }

  /** Requests being answered right now (SSE streams included). */
  int inFlight() {
    return inFlight.get();
  }

  void requestStarted() {
    inFlight.incrementAndGet();
  }

  void requestFinished() {
    inFlight.decrementAndGet();
  }

  /** Tracks a new connection for shutdown; one that slips in while closing is closed at once. */
  void register(Channel ch) {
    connections.add(ch);
    if (closing) {
      ch.close();
    }
  }
}
