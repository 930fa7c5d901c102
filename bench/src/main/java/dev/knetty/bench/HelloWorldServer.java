package dev.knetty.bench;

import dev.knetty.common.net.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;
import java.nio.charset.StandardCharsets;

/**
 * The footprint baseline of docs/benchmarks.md: a bare Netty HTTP/1.1 hello world, nothing else (no
 * logging framework, no metrics, no picocli). {@code java -cp knetty.jar
 * dev.knetty.bench.HelloWorldServer PORT}; runs until killed.
 */
public final class HelloWorldServer {

  private HelloWorldServer() {}

  /** Listens on {@code 127.0.0.1:args[0]} and answers {@code Hello World!} to everything. */
  public static void main(String[] args) throws InterruptedException {
    // Netty would otherwise find slf4j and logback in the jar: a bare server logs through JUL.
    InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
    Transport transport = Transport.fromEnvironment();
    EventLoopGroup group = transport.newEventLoopGroup(1, "hello");
    Channel server =
        new ServerBootstrap()
            .group(group)
            .channel(transport.serverChannelClass())
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new HttpServerCodec(), new Hello());
                  }
                })
            .bind("127.0.0.1", Integer.parseInt(args[0]))
            .sync()
            .channel();
    server.closeFuture().sync();
  }

  private static final class Hello extends SimpleChannelInboundHandler<HttpObject> {
    private boolean keepAlive;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg instanceof HttpRequest) {
        keepAlive = HttpUtil.isKeepAlive((HttpRequest) msg);
      }
      if (msg instanceof LastHttpContent) {
        FullHttpResponse response =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.OK,
                Unpooled.copiedBuffer("Hello World!", StandardCharsets.US_ASCII));
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 12);
        HttpUtil.setKeepAlive(response, keepAlive);
        if (keepAlive) {
          ctx.writeAndFlush(response);
        } else {
          ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
      }
    }
  }
}
