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
}
