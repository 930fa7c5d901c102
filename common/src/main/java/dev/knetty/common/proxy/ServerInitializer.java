package dev.knetty.common.proxy;

import dev.knetty.common.net.PipelineNames;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline of an accepted connection: HTTP/1.1 and h2c on one port. Netty's {@link
 * CleartextHttp2ServerUpgradeHandler} sees the prior-knowledge preface or an {@code Upgrade: h2c}
 * request; otherwise the first request installs the HTTP/1.1 handlers. Each h2 stream is a child
 * channel that gets {@link Http2StreamFrameToHttpObjectCodec} and then the same {@link
 * ClientHandler} as HTTP/1.1 (the Zuul pattern).
 *
 * <pre>
 * HTTP/1.1: flushConsolidation, connectionTimeouts, HttpServerCodec, flowControl, client
 * h2c:      flushConsolidation, h2Codec, h2Multiplex, h2Connection
 * stream:   h2StreamCodec, client
 * </pre>
 */
final class ServerInitializer extends ChannelInitializer<Channel> {

  private static final Logger LOG = LoggerFactory.getLogger(ServerInitializer.class);
  private static final int MAX_CHUNK = 64 * 1024;

  private final ProxyContext px;
  private final ChannelHandler streamInitializer;

  ServerInitializer(ProxyContext px) {
    this.px = px;
    this.streamInitializer = new StreamInitializer(px);
  }

  @Override
  protected void initChannel(Channel ch) {
    px.connections.add(ch);
    ProxyServerConfig cfg = px.config;
    HttpServerCodec codec =
        new HttpServerCodec(
            new HttpDecoderConfig()
                .setMaxInitialLineLength(cfg.maxInitialLineLength())
                .setMaxHeaderSize(cfg.maxHeaderSize())
                .setMaxChunkSize(MAX_CHUNK));
    HttpServerUpgradeHandler upgrade =
        new H2cUpgradeHandler(
            codec,
            protocol ->
                AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                    ? new Http2ServerUpgradeCodec(
                        newH2Codec(), newMultiplex(), new H2ServerConnectionHandler())
                    : null,
            cfg.h2cUpgradeMaxContentLength());
    ch.pipeline()
        .addLast(PipelineNames.FLUSH_CONSOLIDATION, new FlushConsolidationHandler())
        .addLast(
            PipelineNames.PROXY_CONNECTION_TIMEOUTS,
            new ConnectionTimeoutHandler(cfg.headerReadTimeout(), cfg.keepAliveIdleTimeout()))
        .addLast(
            PipelineNames.PROXY_CLEARTEXT_UPGRADE,
            new CleartextHttp2ServerUpgradeHandler(codec, upgrade, new H2PriorKnowledgeSetup()))
        .addLast(PipelineNames.PROXY_PROTOCOL_SELECTOR, new Http1Setup(codec));
  }

  private Http2FrameCodec newH2Codec() {
    return Http2FrameCodecBuilder.forServer()
        .initialSettings(px.serverH2Settings())
        // Drain: GOAWAY, then in-flight streams finish however long they take (their own
        // timeouts bound them); ProxyServer.close() cuts what is left.
        .gracefulShutdownTimeoutMillis(-1)
        .build();
  }

  private Http2MultiplexHandler newMultiplex() {
    return new Http2MultiplexHandler(streamInitializer);
  }

  /**
   * Netty's upgrade handler aggregates every request carrying {@code Upgrade}; we let it take only
   * {@code h2c} upgrades, so websocket requests (and their bodies) stream to the proxy. It leaves
   * the pipeline after the first request: h2c upgrades happen on a connection's first request.
   */
  private static final class H2cUpgradeHandler extends HttpServerUpgradeHandler {
    H2cUpgradeHandler(SourceCodec codec, UpgradeCodecFactory factory, int maxContentLength) {
      super(
          codec,
          factory,
          maxContentLength,
          DefaultHttpHeadersFactory.headersFactory(),
          DefaultHttpHeadersFactory.trailersFactory(),
          true);
    }

    @Override
    protected boolean shouldHandleUpgradeRequest(HttpRequest req) {
      return ProxyHeaders.asksForH2c(req.headers().get(HttpHeaderNames.UPGRADE));
    }
  }

  /** Replaced by the h2c handlers when the prior-knowledge preface arrives. */
  private final class H2PriorKnowledgeSetup extends ChannelInboundHandlerAdapter {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      ChannelPipeline p = ctx.pipeline();
      p.addAfter(ctx.name(), PipelineNames.PROXY_H2_CODEC, newH2Codec());
      p.addAfter(PipelineNames.PROXY_H2_CODEC, PipelineNames.PROXY_H2_MULTIPLEX, newMultiplex());
      p.addAfter(
          PipelineNames.PROXY_H2_MULTIPLEX,
          PipelineNames.PROXY_H2_CONNECTION,
          new H2ServerConnectionHandler());
      p.remove(this);
    }
  }

  /** Installs the HTTP/1.1 handlers when the first request arrives (no h2c on this connection). */
  private final class Http1Setup extends ChannelInboundHandlerAdapter {
    private final HttpServerCodec codec;

    Http1Setup(HttpServerCodec codec) {
      this.codec = codec;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      if (ctx.channel().isActive()) {
        ctx.read();
      }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.read();
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof HttpMessage)) {
        ReferenceCountUtil.release(msg);
        ctx.close();
        return;
      }
      ChannelPipeline p = ctx.pipeline();
      ConnectionTimeoutHandler timeouts =
          (ConnectionTimeoutHandler) p.get(PipelineNames.PROXY_CONNECTION_TIMEOUTS);
      // One message per read(): the codec decodes a head and its body from one socket read.
      p.addAfter(ctx.name(), PipelineNames.PROXY_FLOW_CONTROL, new FlowControlHandler());
      // Keep-alive is decided per exchange (Exchange.keepAliveOrClose) rather than by Netty's
      // HttpServerKeepAliveHandler, which closes after every 304 or HEAD response without a
      // Content-Length although their length is defined.
      p.addAfter(
          PipelineNames.PROXY_FLOW_CONTROL,
          PipelineNames.PROXY_CLIENT,
          new ClientHandler(px, codec, timeouts));
      p.remove(this);
      ctx.fireChannelRead(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("connection {} failed before its first request", ctx.channel(), cause);
      ctx.close();
    }
  }

  /** Every h2 stream: autoRead off (reads drive WINDOW_UPDATE), then the shared handler. */
  @ChannelHandler.Sharable
  private static final class StreamInitializer extends ChannelInitializer<Http2StreamChannel> {
    private final ProxyContext px;

    StreamInitializer(ProxyContext px) {
      this.px = px;
    }

    @Override
    protected void initChannel(Http2StreamChannel ch) {
      ch.config().setAutoRead(false);
      ch.config().setWriteBufferWaterMark(px.waterMark);
      ch.pipeline()
          .addLast(PipelineNames.PROXY_H2_STREAM_CODEC, new Http2StreamFrameToHttpObjectCodec(true))
          .addLast(PipelineNames.PROXY_CLIENT, new ClientHandler(px, null, null));
      if (px.draining()) {
        // A stream that arrives while draining is served, and its connection told to go away.
        H2ServerConnectionHandler conn =
            ch.parent().pipeline().get(H2ServerConnectionHandler.class);
        if (conn != null) {
          conn.drain();
        }
      }
    }
  }
}
