package dev.knetty.common.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An origin handler that answers each request with a head and a first chunk, then waits: for {@link
 * #finish()}, or for ever, or sends further chunks on a schedule.
 */
final class StallingOrigin extends ChannelInboundHandlerAdapter {

  private final Integer contentLength;
  private final List<String> laterChunks;
  private final long chunkIntervalMillis;
  private final boolean closeAfterFirst;
  final CompletableFuture<ChannelHandlerContext> responded = new CompletableFuture<>();

  /**
   * @param contentLength {@code null} for a chunked response
   * @param laterChunks chunks sent every {@code chunkIntervalMillis} after the first (then the end)
   * @param closeAfterFirst close the connection after the first chunk
   */
  StallingOrigin(
      Integer contentLength,
      List<String> laterChunks,
      long chunkIntervalMillis,
      boolean closeAfterFirst) {
    this.contentLength = contentLength;
    this.laterChunks = laterChunks;
    this.chunkIntervalMillis = chunkIntervalMillis;
    this.closeAfterFirst = closeAfterFirst;
  }

  static StallingOrigin chunkedForever() {
    return new StallingOrigin(null, List.of(), 0, false);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    boolean last = msg instanceof LastHttpContent;
    ReferenceCountUtil.release(msg);
    if (!last) {
      return;
    }
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    if (contentLength == null) {
      HttpUtil.setTransferEncodingChunked(head, true);
    } else {
      HttpUtil.setContentLength(head, contentLength);
    }
    ctx.write(head);
    ctx.writeAndFlush(
        new DefaultHttpContent(Unpooled.copiedBuffer("first", StandardCharsets.UTF_8)));
    if (closeAfterFirst) {
      ctx.close();
    } else if (!laterChunks.isEmpty()) {
      sendLater(ctx, 0);
    }
    responded.complete(ctx);
  }

  private void sendLater(ChannelHandlerContext ctx, int i) {
    ctx.executor()
        .schedule(
            () -> {
              if (i < laterChunks.size()) {
                ctx.writeAndFlush(
                    new DefaultHttpContent(
                        Unpooled.copiedBuffer(laterChunks.get(i), StandardCharsets.UTF_8)));
                sendLater(ctx, i + 1);
              } else {
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
              }
            },
            chunkIntervalMillis,
            TimeUnit.MILLISECONDS);
  }

  /** Sends {@code rest} and ends the response. */
  void finish(String rest) {
    ChannelHandlerContext ctx = responded.join();
    ctx.executor()
        .execute(
            () ->
                ctx.writeAndFlush(
                    new DefaultLastHttpContent(
                        Unpooled.copiedBuffer(rest, StandardCharsets.UTF_8))));
  }
}
