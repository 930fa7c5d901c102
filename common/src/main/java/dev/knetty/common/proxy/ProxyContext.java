package dev.knetty.common.proxy;

import dev.knetty.common.log.LogLimiter;
import dev.knetty.common.net.Transport;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** What every handler of one {@link ProxyServer} shares: configuration, policy, pools, counters. */
final class ProxyContext {

  final ProxyServerConfig config;
  final ProxyPolicy policy;
  final Transport transport;
  final WriteBufferWaterMark waterMark;
  final ChannelGroup connections =
      new DefaultChannelGroup("knetty-proxy", ImmediateEventExecutor.INSTANCE);

  private final AtomicInteger active = new AtomicInteger();
  private final LongAdder rejected = new LongAdder();
  private final ConcurrentLinkedQueue<CompletableFuture<Void>> idleWaiters =
      new ConcurrentLinkedQueue<>();
  private volatile boolean draining;
  // Written once by ProxyServer.start() before the server channel is bound; read-only after.
  private volatile Map<EventExecutor, UpstreamPool> pools = Map.of();

  ProxyContext(ProxyServerConfig config, ProxyPolicy policy, Transport transport) {
    this.config = config;
    this.policy = policy;
    this.transport = transport;
    this.waterMark =
        new WriteBufferWaterMark(
            config.writeBufferLowWaterMark(), config.writeBufferHighWaterMark());
  }

  void pools(Map<EventExecutor, UpstreamPool> value) {
    pools = Map.copyOf(value);
  }

  Iterable<UpstreamPool> pools() {
    return pools.values();
  }

  UpstreamPool pool(EventLoop loop) {
    UpstreamPool pool = pools.get(loop);
    if (pool == null) {
      throw new IllegalStateException("no upstream pool for event loop " + loop);
    }
    return pool;
  }

  Http2Settings serverH2Settings() {
    return Http2Settings.defaultSettings()
        .maxConcurrentStreams(config.h2MaxConcurrentStreams())
        .initialWindowSize(config.h2InitialWindowSize())
        .maxHeaderListSize(config.h2MaxHeaderListSize());
  }

  Http2Settings clientH2Settings() {
    return Http2Settings.defaultSettings()
        .pushEnabled(false)
        .initialWindowSize(config.h2InitialWindowSize())
        .maxHeaderListSize(config.pool().maxResponseHeaderSize());
  }

  boolean draining() {
    return draining;
  }

  void startDrain() {
    draining = true;
  }

  void exchangeStarted() {
    active.incrementAndGet();
  }

  void exchangeEnded() {
    if (active.decrementAndGet() == 0) {
      wakeIdleWaiters();
    }
  }

  void requestRejected() {
    rejected.increment();
  }

  long rejectedRequests() {
    return rejected.sum();
  }

  int activeExchanges() {
    return active.get();
  }

  CompletableFuture<Void> whenIdle() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    idleWaiters.add(f);
    if (active.get() == 0) {
      wakeIdleWaiters();
    }
    return f;
  }

  private void wakeIdleWaiters() {
    CompletableFuture<Void> f;
    while ((f = idleWaiters.poll()) != null) {
      f.complete(null);
    }
  }

  /** At most one unexpected-problem warning per interval, whatever its source. */
  final LogLimiter warnLog = new LogLimiter(Duration.ofSeconds(10));
}
