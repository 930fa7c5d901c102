package dev.knetty.bench.sampleapp;

import dev.knetty.common.net.PipelineNames;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;

/**
 * One port, three ways in: HTTP/1.1 (with websockets on {@code /ws}), h2c with prior knowledge, and
 * h2c through {@code Upgrade: h2c}. Every HTTP/2 stream gets its own {@link SampleAppHandler}
 * behind {@code Http2StreamFrameToHttpObjectCodec}, so both protocols share one request handler.
 */
final class SampleAppInitializer extends ChannelInitializer<Channel> {

  /** Largest upgrade request body {@code HttpServerUpgradeHandler} aggregates (upgrades only). */
  private static final int MAX_UPGRADE_CONTENT = 64 * 1024;

  private final SampleApp app;

  SampleAppInitializer(SampleApp app) {
    this.app = app;
  }

  @Override
  protected void initChannel(Channel ch) {
    app.register(ch);
    HttpServerCodec http1 = new HttpServerCodec();
    HttpServerUpgradeHandler upgrade =
        new HttpServerUpgradeHandler(
            http1,
            protocol ->
                AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                    ? new Http2ServerUpgradeCodec(
                        http2FrameCodec(), new Http2MultiplexHandler(streamInitializer()), SINK)
                    : null,
            MAX_UPGRADE_CONTENT);
    ChannelPipeline p = ch.pipeline();
    p.addLast(
        PipelineNames.H2C_UPGRADE,
        new CleartextHttp2ServerUpgradeHandler(http1, upgrade, new PriorKnowledgeInstaller()));
    p.addLast(
        PipelineNames.WEBSOCKET_PROTOCOL,
        new WebSocketServerProtocolHandler(
            WebSocketServerProtocolConfig.newBuilder().websocketPath("/ws").build()));
    p.addLast(PipelineNames.WEBSOCKET_ECHO, new WebSocketEchoHandler());
    p.addLast(PipelineNames.SAMPLE_APP, new SampleAppHandler(app, true));
  }

  private Http2FrameCodec http2FrameCodec() {
    return Http2FrameCodecBuilder.forServer()
        .initialSettings(
            Http2Settings.defaultSettings()
                .maxConcurrentStreams(app.config().maxConcurrentStreams()))
        .gracefulShutdownTimeoutMillis(app.config().shutdownGrace().toMillis())
        .build();
  }

  private ChannelInitializer<Http2StreamChannel> streamInitializer() {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Http2StreamChannel stream) {
        stream
            .pipeline()
            .addLast(PipelineNames.HTTP2_STREAM_CODEC, new Http2StreamFrameToHttpObjectCodec(true))
            .addLast(PipelineNames.SAMPLE_APP, new SampleAppHandler(app, false));
      }
    };
  }

  /**
   * Installs the HTTP/2 codec where {@link CleartextHttp2ServerUpgradeHandler} puts its HTTP/2
   * handler when a connection starts with the prior-knowledge preface. (A {@code
   * ChannelInitializer} would add them at the pipeline's end, behind the HTTP/1.1 handlers.)
   */
  private final class PriorKnowledgeInstaller extends ChannelHandlerAdapter {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      // The multiplexer looks for the frame codec when added, so the codec goes in first.
      ctx.pipeline()
          .addAfter(ctx.name(), PipelineNames.HTTP2_FRAME_CODEC, http2FrameCodec())
          .addAfter(
              PipelineNames.HTTP2_FRAME_CODEC,
              PipelineNames.HTTP2_MULTIPLEX,
              new Http2MultiplexHandler(streamInitializer()))
          .addAfter(PipelineNames.HTTP2_MULTIPLEX, null, SINK)
          .remove(this);
    }
  }

  /**
   * Ends an HTTP/2 connection's pipeline: connection-level frames (settings, pings, GOAWAY) that
   * the multiplexer passes on stop here, so the HTTP/1.1 handlers behind never see them.
   */
  private static final ChannelHandler SINK = new Http2ConnectionSink();

  @ChannelHandler.Sharable
  private static final class Http2ConnectionSink extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }
  }
}
