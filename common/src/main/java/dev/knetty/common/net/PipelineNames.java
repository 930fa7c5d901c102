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

  // KMP, the metrics protocol (dev.knetty.common.kmp).
  public static final String KMP_FRAME_DECODER = "knetty.kmpFrameDecoder";
  public static final String KMP_FRAME_ENCODER = "knetty.kmpFrameEncoder";
  public static final String KMP_CONNECTION = "knetty.kmpConnection";
}
