package dev.knetty.common.proxy;

import dev.knetty.common.net.PipelineNames;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream connections of one event loop (Armeria's and Zuul's per-event-loop pools): every
 * method runs on that loop, so there are no locks. HTTP/1.1 connections are leased exclusively and
 * reused most-recently-released first; h2c connections are shared up to their stream limit, and
 * concurrent first acquisitions of a key share one connect.
 */
final class UpstreamPool {

  private static final Logger LOG = LoggerFactory.getLogger(UpstreamPool.class);
  private static final int MAX_INITIAL_LINE = 64 * 1024;
  private static final int MAX_CHUNK = 64 * 1024;

  private final ProxyContext px;
  private final EventLoop loop;
  private final UpstreamPoolConfig cfg;
  private final Bootstrap bootstrap;
  private final Map<UpstreamKey, KeyPool> keys = new HashMap<>();
  private final Set<Channel> live = new HashSet<>();
  private final ChannelHandler h2StreamInit;
  private final ScheduledFuture<?> sweeper;
  private int idle;
  private int waiting;
  // Mirrors of live.size(), idle and waiting for readers on other threads (stats only).
  private volatile int liveCount;
  private volatile int idleCount;
  private volatile int waitingCount;
  private boolean closed;

  UpstreamPool(ProxyContext px, EventLoop loop) {
    this.px = px;
    this.loop = loop;
    this.cfg = px.config.pool();
    this.bootstrap =
        new Bootstrap()
            .group(loop)
            .channel(px.transport.socketChannelClass())
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) cfg.connectTimeout().toMillis())
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .option(ChannelOption.AUTO_READ, false)
            .option(ChannelOption.WRITE_BUFFER_WATER_MARK, px.waterMark);
    this.h2StreamInit =
        new ChannelInitializer<Http2StreamChannel>() {
          @Override
          protected void initChannel(Http2StreamChannel ch) {
            ch.pipeline()
                .addLast(
                    PipelineNames.PROXY_H2_STREAM_CODEC,
                    new Http2StreamFrameToHttpObjectCodec(false))
                .addLast(PipelineNames.PROXY_UPSTREAM, new UpstreamHandler());
          }
        };
    long sweepNanos = Math.max(cfg.idleTimeout().toNanos() / 4, TimeUnit.MILLISECONDS.toNanos(10));
    this.sweeper =
        loop.scheduleWithFixedDelay(this::sweep, sweepNanos, sweepNanos, TimeUnit.NANOSECONDS);
  }

  /** Runs {@code task} on this pool's event loop. */
  Future<?> execute(Runnable task) {
    return loop.submit(task);
  }

  /** Open upstream connections (HTTP/1.1 connections and h2c connections, not streams). */
  int connections() {
    return liveCount;
  }

  /** Idle pooled HTTP/1.1 connections. */
  int idleConnections() {
    return idleCount;
  }

  /**
   * HTTP/1.1 acquisitions waiting for a connection ({@link UpstreamPoolConfig#maxConnectsPerKey}).
   */
  int waitingAcquisitions() {
    return waitingCount;
  }

  /**
   * A channel to send one request on.
   *
   * @param h2 an h2c stream instead of an HTTP/1.1 connection
   * @param fresh a new HTTP/1.1 connection that never returns to the pool (protocol upgrades)
   */
  Future<UpstreamLease> acquire(UpstreamTarget target, boolean h2, boolean fresh) {
    if (closed) {
      return loop.newFailedFuture(new IllegalStateException("upstream pool closed"));
    }
    KeyPool kp = keys.computeIfAbsent(new UpstreamKey(target, h2), KeyPool::new);
    return h2 ? acquireH2(kp) : acquireH1(kp, fresh);
  }

  /** Closes the idle connections to {@code target}; busy ones close when their exchange ends. */
  void closeTarget(UpstreamTarget target) {
    for (boolean h2 : new boolean[] {false, true}) {
      KeyPool kp = keys.remove(new UpstreamKey(target, h2));
      if (kp == null) {
        continue;
      }
      kp.retired = true;
      failWaiters(kp, new ConnectException("upstream " + target + " removed"));
      H1Connection c;
      while ((c = kp.idle.pollLast()) != null) {
        unpark(c);
        c.channel.close();
      }
      for (H2Connection conn : new ArrayList<>(kp.h2)) {
        conn.retiring = true;
        if (conn.activeStreams == 0) {
          conn.ch.close();
        }
      }
    }
  }

  /** Closes every connection; later acquisitions fail. */
  void close() {
    if (closed) {
      return;
    }
    closed = true;
    sweeper.cancel(false);
    for (KeyPool kp : new ArrayList<>(keys.values())) {
      failWaiters(kp, new IllegalStateException("upstream pool closed"));
    }
    for (Channel ch : new ArrayList<>(live)) {
      ch.close();
    }
  }

  // --- HTTP/1.1

  private Future<UpstreamLease> acquireH1(KeyPool kp, boolean fresh) {
    if (!fresh) {
      long now = System.nanoTime();
      H1Connection c;
      while ((c = kp.idle.pollLast()) != null) {
        unpark(c);
        if (c.channel.isActive() && !expired(c.createdNanos, now)) {
          c.reused = true;
          return loop.newSucceededFuture(c);
        }
        c.channel.close();
      }
    }
    Promise<UpstreamLease> promise = loop.newPromise();
    if (kp.connects < cfg.maxConnectsPerKey()) {
      connectH1(kp, fresh, promise);
    } else {
      // A burst: wait for a connection another exchange releases, or for a connect slot.
      Waiter w = new Waiter(promise, fresh);
      kp.waiters.addLast(w);
      waitingCount = ++waiting;
      promise.addListener(
          f -> {
            // Cancelled by an exchange that ended while waiting: it leaves the queue.
            if (f.isCancelled() && kp.waiters.remove(w)) {
              waitingCount = --waiting;
            }
          });
    }
    return promise;
  }

  private void connectH1(KeyPool kp, boolean fresh, Promise<UpstreamLease> promise) {
    H1Connection c = new H1Connection(kp, !fresh);
    kp.connects++;
    ChannelFuture cf =
        bootstrap
            .clone()
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    HttpDecoderConfig decoder =
                        new HttpDecoderConfig()
                            .setMaxInitialLineLength(MAX_INITIAL_LINE)
                            .setMaxHeaderSize(cfg.maxResponseHeaderSize())
                            .setMaxChunkSize(MAX_CHUNK);
                    ch.pipeline()
                        .addLast(
                            PipelineNames.HTTP_CLIENT_CODEC,
                            new HttpClientCodec(decoder, false, false))
                        .addLast(PipelineNames.PROXY_FLOW_CONTROL, new FlowControlHandler())
                        .addLast(PipelineNames.PROXY_UPSTREAM, c.handler);
                  }
                })
            .connect(kp.key.address());
    c.channel = cf.channel();
    opened(kp, c.channel);
    c.channel.closeFuture().addListener(f -> h1Closed(c));
    cf.addListener(
        f -> {
          kp.connects--;
          if (f.isSuccess()) {
            if (!promise.trySuccess(c)) {
              // Its exchange went away meanwhile: the next waiter (or the pool) takes it.
              c.release(true);
            }
          } else {
            promise.tryFailure(f.cause());
            if (!(f.cause() instanceof ConnectTimeoutException)) {
              // Refused or unreachable: the waiters queued for the same address fail with it (as
              // the riders of a shared h2c connect do). A timeout may only mean a full backlog,
              // so after one each waiter still gets its own attempt.
              failWaiters(kp, f.cause());
            }
          }
          connectWaiters(kp);
        });
  }

  /** Starts connects for waiting acquisitions while connect slots are free. */
  private void connectWaiters(KeyPool kp) {
    Waiter w;
    while (kp.connects < cfg.maxConnectsPerKey() && (w = pollWaiter(kp, false)) != null) {
      connectH1(kp, w.fresh, w.promise);
    }
  }

  /**
   * The oldest waiting acquisition whose exchange is still there, or null.
   *
   * @param pooledOnly skip (and keep) waiters that need a fresh connection
   */
  private Waiter pollWaiter(KeyPool kp, boolean pooledOnly) {
    for (Iterator<Waiter> it = kp.waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.promise.isDone()) {
        it.remove();
        waitingCount = --waiting;
      } else if (!pooledOnly || !w.fresh) {
        it.remove();
        waitingCount = --waiting;
        return w;
      }
    }
    return null;
  }

  private void failWaiters(KeyPool kp, Throwable cause) {
    if (kp.waiters.isEmpty()) {
      return;
    }
    // A snapshot: a failed exchange may retry at once and queue again.
    List<Waiter> failed = new ArrayList<>(kp.waiters);
    kp.waiters.clear();
    waiting -= failed.size();
    waitingCount = waiting;
    for (Waiter w : failed) {
      w.promise.tryFailure(cause);
    }
  }

  private void park(H1Connection c) {
    KeyPool kp = c.kp;
    long now = System.nanoTime();
    if (!kp.waiters.isEmpty()
        && !closed
        && !kp.retired
        && c.channel.isActive()
        && !expired(c.createdNanos, now)) {
      // A burst is waiting for connections to this address: hand this one on directly.
      Waiter w;
      while ((w = pollWaiter(kp, true)) != null) {
        c.reused = true;
        if (w.promise.trySuccess(c)) {
          return;
        }
      }
    }
    if (closed
        || kp.retired
        || !c.channel.isActive()
        || expired(c.createdNanos, now)
        || kp.idle.size() >= cfg.maxIdlePerKey()) {
      c.channel.close();
      return;
    }
    c.idle = true;
    c.idleSinceNanos = now;
    kp.idle.addLast(c);
    idleCount = ++idle;
    // A pending read notices the upstream closing the idle connection.
    c.handler.requestRead();
  }

  private void unpark(H1Connection c) {
    c.idle = false;
    idleCount = --idle;
  }

  private void h1Closed(H1Connection c) {
    if (c.idle) {
      c.kp.idle.remove(c);
      unpark(c);
    }
    closedChannel(c.kp, c.channel);
  }

  // --- h2c

  private Future<UpstreamLease> acquireH2(KeyPool kp) {
    Promise<UpstreamLease> promise = loop.newPromise();
    long now = System.nanoTime();
    for (int i = kp.h2.size() - 1; i >= 0; i--) {
      H2Connection conn = kp.h2.get(i);
      if (conn.acceptsStream(now)) {
        openStream(conn, promise, true);
        return promise;
      }
    }
    if (kp.connecting == null) {
      kp.connecting = connectH2(kp);
    }
    // Everyone waiting for this connect shares it (the stream limit is enforced by Netty's
    // buffering encoder, so streams beyond it wait for a free slot instead of failing). The
    // connect completes with the server's SETTINGS, so that the limit is known by then.
    Promise<H2Connection> connecting = kp.connecting;
    connecting.addListener(
        f -> {
          if (f.isSuccess()) {
            openStream(connecting.getNow(), promise, false);
          } else {
            promise.tryFailure(f.cause());
          }
        });
    return promise;
  }

  private Promise<H2Connection> connectH2(KeyPool kp) {
    Promise<H2Connection> promise = loop.newPromise();
    H2Connection conn = new H2Connection(kp);
    ChannelFuture cf =
        bootstrap
            .clone()
            .option(ChannelOption.AUTO_READ, true)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    conn.codec =
                        Http2FrameCodecBuilder.forClient()
                            .initialSettings(px.clientH2Settings())
                            .encoderEnforceMaxConcurrentStreams(true)
                            .build();
                    ch.pipeline()
                        .addLast(PipelineNames.PROXY_H2_CODEC, conn.codec)
                        .addLast(
                            PipelineNames.PROXY_H2_MULTIPLEX,
                            new Http2MultiplexHandler(RefusePushHandler.INSTANCE))
                        .addLast(PipelineNames.PROXY_H2_CONNECTION, new H2ClientHandler(conn));
                  }
                })
            .connect(kp.key.address());
    conn.ch = cf.channel();
    conn.handshake = promise;
    opened(kp, conn.ch);
    conn.ch.closeFuture().addListener(f -> h2Closed(conn));
    cf.addListener(
        f -> {
          if (f.isSuccess()) {
            conn.streams =
                new Http2StreamChannelBootstrap(conn.ch)
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, px.waterMark)
                    .handler(h2StreamInit);
            // Until the server's SETTINGS arrive Netty assumes no stream limit: a burst opened
            // now would be refused beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS (and
            // Netty servers answer 200 refusals with GOAWAY ENHANCE_YOUR_CALM). A server that
            // sends none within the connect timeout is given up.
            conn.settingsTimer =
                loop.schedule(
                    () -> conn.ch.close(), cfg.connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
          } else {
            handshakeFailed(conn, f.cause());
            if (kp.live == 0) {
              keys.remove(kp.key, kp);
            }
          }
        });
    return promise;
  }

  /** The server's first SETTINGS: the connection takes streams from now on. */
  private void settingsReceived(H2Connection conn) {
    Promise<H2Connection> promise = conn.handshake;
    if (promise == null) {
      return; // a later SETTINGS
    }
    conn.handshake = null;
    conn.settingsTimer.cancel(false);
    if (conn.kp.connecting == promise) {
      conn.kp.connecting = null;
    }
    conn.kp.h2.add(conn);
    promise.trySuccess(conn);
  }

  private void handshakeFailed(H2Connection conn, Throwable cause) {
    Promise<H2Connection> promise = conn.handshake;
    if (promise == null) {
      return;
    }
    conn.handshake = null;
    if (conn.settingsTimer != null) {
      conn.settingsTimer.cancel(false);
    }
    if (conn.kp.connecting == promise) {
      conn.kp.connecting = null;
    }
    promise.tryFailure(cause);
  }

  private void openStream(H2Connection conn, Promise<UpstreamLease> promise, boolean reused) {
    conn.activeStreams++;
    conn.streams
        .open()
        .addListener(
            (Future<Http2StreamChannel> f) -> {
              if (!f.isSuccess()) {
                streamClosed(conn);
                promise.tryFailure(f.cause());
                return;
              }
              Http2StreamChannel stream = f.getNow();
              stream.closeFuture().addListener(x -> streamClosed(conn));
              UpstreamHandler handler =
                  (UpstreamHandler) stream.pipeline().get(PipelineNames.PROXY_UPSTREAM);
              if (!promise.trySuccess(new H2StreamLease(stream, handler, reused))) {
                stream.close();
              }
            });
  }

  private void streamClosed(H2Connection conn) {
    if (--conn.activeStreams == 0) {
      conn.idleSinceNanos = System.nanoTime();
      if (conn.retiring || closed) {
        conn.ch.close();
      }
    }
  }

  private void h2Closed(H2Connection conn) {
    // Closed (or given up) before the server's SETTINGS: the exchanges waiting for it fail over.
    handshakeFailed(conn, new ClosedChannelException());
    conn.kp.h2.remove(conn);
    closedChannel(conn.kp, conn.ch);
  }

  // --- bookkeeping

  private void opened(KeyPool kp, Channel ch) {
    kp.live++;
    live.add(ch);
    liveCount = live.size();
  }

  private void closedChannel(KeyPool kp, Channel ch) {
    live.remove(ch);
    liveCount = live.size();
    if (--kp.live == 0 && kp.connecting == null && kp.waiters.isEmpty()) {
      keys.remove(kp.key, kp);
    }
  }

  private boolean expired(long createdNanos, long now) {
    long max = cfg.maxLifetime().toNanos();
    return max > 0 && now - createdNanos >= max;
  }

  private void sweep() {
    long now = System.nanoTime();
    long idleNanos = cfg.idleTimeout().toNanos();
    for (KeyPool kp : new ArrayList<>(keys.values())) {
      // LIFO reuse leaves the longest-idle connections at the head.
      H1Connection c;
      while ((c = kp.idle.peekFirst()) != null && now - c.idleSinceNanos >= idleNanos) {
        kp.idle.pollFirst();
        unpark(c);
        c.channel.close();
      }
      for (H2Connection conn : new ArrayList<>(kp.h2)) {
        if (expired(conn.createdNanos, now)) {
          conn.retiring = true;
        }
        if (conn.activeStreams == 0 && (conn.retiring || now - conn.idleSinceNanos >= idleNanos)) {
          conn.ch.close();
        }
      }
    }
  }

  /** The connections of one key; replaced by a fresh one when the key is retired. */
  private static final class KeyPool {
    final UpstreamKey key;
    final ArrayDeque<H1Connection> idle = new ArrayDeque<>();
    // HTTP/1.1 acquisitions beyond maxConnectsPerKey, oldest first.
    final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    final List<H2Connection> h2 = new ArrayList<>(1);
    Promise<H2Connection> connecting;
    // HTTP/1.1 connects in flight.
    int connects;
    int live;
    boolean retired;

    KeyPool(UpstreamKey key) {
      this.key = key;
    }
  }

  /** An HTTP/1.1 acquisition waiting for a connection. */
  private record Waiter(Promise<UpstreamLease> promise, boolean fresh) {}

  /** An HTTP/1.1 connection: its own lease, since it serves one exchange at a time. */
  private final class H1Connection extends UpstreamLease {
    final KeyPool kp;
    final boolean pooled;
    final long createdNanos = System.nanoTime();
    long idleSinceNanos;
    boolean idle;

    H1Connection(KeyPool kp, boolean pooled) {
      super(new UpstreamHandler());
      this.kp = kp;
      this.pooled = pooled;
    }

    @Override
    void release(boolean reusable) {
      handler.unbind();
      if (reusable && pooled) {
        park(this);
      } else {
        channel.close();
      }
    }

    @Override
    void switchToTunnel() {
      ChannelPipeline p = channel.pipeline();
      // Queued messages and undecoded bytes are handed on as the handlers go.
      p.remove(PipelineNames.PROXY_FLOW_CONTROL);
      p.remove(PipelineNames.HTTP_CLIENT_CODEC);
    }
  }

  /** An h2c connection shared by up to its stream limit of exchanges. */
  private final class H2Connection {
    final KeyPool kp;
    final long createdNanos = System.nanoTime();
    Channel ch;
    Http2FrameCodec codec;
    Http2StreamChannelBootstrap streams;
    // The connect promise until the server's first SETTINGS, then null.
    Promise<H2Connection> handshake;
    ScheduledFuture<?> settingsTimer;
    int activeStreams;
    long idleSinceNanos = createdNanos;
    boolean retiring;

    H2Connection(KeyPool kp) {
      this.kp = kp;
    }

    boolean acceptsStream(long now) {
      if (retiring || !ch.isActive() || codec.connection().goAwayReceived()) {
        return false;
      }
      if (expired(createdNanos, now)) {
        retiring = true;
        return false;
      }
      int limit =
          Math.min(cfg.h2MaxStreamsPerConnection(), codec.connection().local().maxActiveStreams());
      return activeStreams < limit;
    }
  }

  private static final class H2StreamLease extends UpstreamLease {
    H2StreamLease(Http2StreamChannel stream, UpstreamHandler handler, boolean reused) {
      super(handler);
      this.channel = stream;
      this.reused = reused;
    }

    @Override
    void release(boolean reusable) {
      handler.unbind();
      // Closing a stream that is still open resets it (RST_STREAM CANCEL).
      channel.close();
    }

    @Override
    void switchToTunnel() {
      throw new UnsupportedOperationException("h2c streams are not upgraded");
    }
  }

  /** The parent of an upstream h2c connection: notes GOAWAY, drops connection-level frames. */
  private final class H2ClientHandler extends ChannelInboundHandlerAdapter {
    private final H2Connection conn;

    H2ClientHandler(H2Connection conn) {
      this.conn = conn;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2GoAwayFrame) {
        conn.retiring = true;
      } else if (msg instanceof Http2SettingsFrame) {
        settingsReceived(conn);
      }
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("upstream h2c connection {} failed", ctx.channel(), cause);
      ctx.close();
    }
  }

  /** Push is disabled in our SETTINGS; a server that pushes anyway gets its streams closed. */
  @ChannelHandler.Sharable
  private static final class RefusePushHandler extends ChannelInboundHandlerAdapter {
    static final RefusePushHandler INSTANCE = new RefusePushHandler();

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.close();
    }
  }
}
