/**
 * The reverse-proxy engine shared by the queue-proxy and the activator.
 *
 * <p>A component builds a {@link dev.knetty.common.proxy.ProxyServer} from an immutable {@link
 * dev.knetty.common.proxy.ProxyServerConfig} and plugs in a {@link
 * dev.knetty.common.proxy.ProxyPolicy}; for every request (an HTTP/1.1 request or an h2 stream) the
 * engine hands the policy a {@link dev.knetty.common.proxy.ProxyExchange}, which the policy
 * forwards to an {@link dev.knetty.common.proxy.UpstreamTarget} or answers, now or after an
 * asynchronous wait, and reports its {@link dev.knetty.common.proxy.ExchangeOutcome} exactly once.
 *
 * <p><b>Pipelines.</b> One port serves HTTP/1.1 and h2c (prior knowledge and {@code Upgrade: h2c}):
 *
 * <pre>
 * HTTP/1.1   flushConsolidation, connectionTimeouts, HttpServerCodec, FlowControlHandler, client
 * h2c        flushConsolidation, Http2FrameCodec, Http2MultiplexHandler, h2Connection
 *  stream    Http2StreamFrameToHttpObjectCodec, client          (the same handler as HTTP/1.1)
 * upstream   HttpClientCodec, FlowControlHandler, upstream      (HTTP/1.1, pooled, exclusive)
 *            Http2FrameCodec, Http2MultiplexHandler, h2Client   (h2c, shared by streams)
 *  stream    Http2StreamFrameToHttpObjectCodec, upstream
 * </pre>
 *
 * <p><b>Threads.</b> A connection and everything it causes live on one event loop: its exchanges,
 * their timers, and their upstream channels, which come from that loop's own pool. Nothing is
 * locked and no request changes thread. Policies act on the exchange's loop.
 *
 * <p><b>Flow.</b> AutoRead is off everywhere. The engine reads the next client message only when
 * the upstream channel is writable, and the next upstream message only when the client channel is
 * writable; h2 flow control follows the stream channels' reads. Bodies are never aggregated.
 */
package dev.knetty.common.proxy;
