package dev.knetty.common.net;

/**
 * Every name of a handler that Knetty adds to a Netty pipeline, in one place, so that {@code
 * addBefore}/{@code replace}/{@code remove} calls across modules agree (Reactor Netty's {@code
 * NettyPipeline} convention). Add new names here, never as string literals elsewhere.
 */
public final class PipelineNames {

  private PipelineNames() {}

  // Shared framing and codecs.
  public static final String FLUSH_CONSOLIDATION = "knetty.flushConsolidation";
  public static final String IDLE_STATE = "knetty.idleState";
  public static final String HTTP_SERVER_CODEC = "knetty.httpServerCodec";
  public static final String HTTP_CLIENT_CODEC = "knetty.httpClientCodec";
  public static final String HTTP_AGGREGATOR = "knetty.httpAggregator";
  public static final String LOGGING = "knetty.logging";
  public static final String FLOW_CONTROL = "knetty.flowControl";

  // Admin HTTP server.
  public static final String ADMIN_HANDLER = "knetty.adminHandler";

  public static final String SSL = "knetty.ssl";

  // Autoscaler: the admission webhook.
  public static final String WEBHOOK_HANDLER = "knetty.webhookHandler";

  // HTTP/2 over cleartext (prior knowledge and Upgrade: h2c) and websockets.
  public static final String H2C_UPGRADE = "knetty.h2cUpgrade";
  public static final String HTTP2_FRAME_CODEC = "knetty.http2FrameCodec";
  public static final String HTTP2_MULTIPLEX = "knetty.http2Multiplex";
  public static final String HTTP2_STREAM_CODEC = "knetty.http2StreamCodec";
  public static final String WEBSOCKET_PROTOCOL = "knetty.webSocketProtocol";

  // bench: the sample app and the load generator.
  public static final String SAMPLE_APP = "knetty.sampleApp";
  public static final String WEBSOCKET_ECHO = "knetty.webSocketEcho";
  public static final String LOAD_CLIENT = "knetty.loadClient";

  // KMP, the metrics protocol (dev.knetty.common.kmp).
  public static final String KMP_FRAME_DECODER = "knetty.kmpFrameDecoder";
  public static final String KMP_FRAME_ENCODER = "knetty.kmpFrameEncoder";
  public static final String KMP_CONNECTION = "knetty.kmpConnection";

  // Reverse-proxy engine (dev.knetty.common.proxy).
  public static final String PROXY_CONNECTION_TIMEOUTS = "knetty.proxy.connectionTimeouts";
  public static final String PROXY_CLEARTEXT_UPGRADE = "knetty.proxy.cleartextUpgrade";
  public static final String PROXY_PROTOCOL_SELECTOR = "knetty.proxy.protocolSelector";
  public static final String PROXY_FLOW_CONTROL = "knetty.proxy.flowControl";
  public static final String PROXY_CLIENT = "knetty.proxy.client";
  public static final String PROXY_H2_CODEC = "knetty.proxy.h2Codec";
  public static final String PROXY_H2_MULTIPLEX = "knetty.proxy.h2Multiplex";
  public static final String PROXY_H2_CONNECTION = "knetty.proxy.h2Connection";
  public static final String PROXY_H2_STREAM_CODEC = "knetty.proxy.h2StreamCodec";
  public static final String PROXY_UPSTREAM = "knetty.proxy.upstream";

  // Activator: the pod prober's HTTP/1.1 client.
  public static final String ACTIVATOR_PROBE = "knetty.activator.probe";
}
