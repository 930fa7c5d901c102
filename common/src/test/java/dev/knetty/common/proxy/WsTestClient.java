package dev.knetty.common.proxy;

import dev.knetty.common.net.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import java.net.URI;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/** A Netty websocket client that collects the text frames it receives. */
final class WsTestClient implements AutoCloseable {

  final Channel channel;
  final CompletableFuture<Void> handshake = new CompletableFuture<>();
  final BlockingQueue<String> received = new LinkedBlockingQueue<>();

  WsTestClient(EventLoopGroup group, int port, String path) {
    URI uri = URI.create("ws://127.0.0.1:" + port + path);
    channel =
        new Bootstrap()
            .group(group)
            .channel(Transport.fromEnvironment().socketChannelClass())
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(
                            new HttpClientCodec(),
                            new HttpObjectAggregator(1 << 16),
                            new WebSocketClientProtocolHandler(
                                WebSocketClientProtocolConfig.newBuilder()
                                    .webSocketUri(uri)
                                    .build()),
                            new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                              @Override
                              public void userEventTriggered(
                                  ChannelHandlerContext ctx, Object evt) {
                                if (evt
                                    == WebSocketClientProtocolHandler.ClientHandshakeStateEvent
                                        .HANDSHAKE_COMPLETE) {
                                  handshake.complete(null);
                                }
                                ctx.fireUserEventTriggered(evt);
                              }

                              @Override
                              protected void channelRead0(
                                  ChannelHandlerContext ctx, TextWebSocketFrame frame) {
                                received.add(frame.text());
                              }

                              @Override
                              public void exceptionCaught(
                                  ChannelHandlerContext ctx, Throwable cause) {
                                handshake.completeExceptionally(cause);
                                ctx.close();
                              }
                            });
                  }
                })
            .connect("127.0.0.1", port)
            .syncUninterruptibly()
            .channel();
  }

  void send(String text) {
    channel.writeAndFlush(new TextWebSocketFrame(text));
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
  }
}
