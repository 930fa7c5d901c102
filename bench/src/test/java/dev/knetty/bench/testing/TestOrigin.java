package dev.knetty.bench.testing;

import dev.knetty.common.http.TextResponses;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Netty origin for load tests, HTTP/1.1 or h2c with prior knowledge, whose behaviour the test
 * controls: answer with a status, hold requests until {@link #release()}, or close the connection
 * on every request. Counts what it sees.
 */
public final class TestOrigin implements AutoCloseable {

  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
  private final Channel server;
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong http2Requests = new AtomicLong();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final Queue<ChannelHandlerContext> held = new ConcurrentLinkedQueue<>();
  private volatile int status = 200;
  private volatile boolean holding;
  private volatile boolean closeOnRequest;
  private volatile boolean garbage;

  private TestOrigin(boolean h2c) throws InterruptedException {
    server =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    connections.incrementAndGet();
                    if (h2c) {
                      ch.pipeline()
                          .addLast(
                              Http2FrameCodecBuilder.forServer()
                                  .initialSettings(
                                      Http2Settings.defaultSettings().maxConcurrentStreams(1000))
                                  .build(),
                              new Http2MultiplexHandler(
                                  new ChannelInitializer<Http2StreamChannel>() {
                                    @Override
                                    protected void initChannel(Http2StreamChannel stream) {
                                      stream
                                          .pipeline()
                                          .addLast(
                                              new Http2StreamFrameToHttpObjectCodec(true),
                                              new Handler(true));
                                    }
                                  }));
                    } else {
                      ch.pipeline().addLast(new HttpServerCodec(), new Handler(false));
                    }
                  }
                })
            .bind("127.0.0.1", 0)
            .sync()
            .channel();
  }

  /** An HTTP/1.1 origin. */
  public static TestOrigin http1() throws InterruptedException {
    return new TestOrigin(false);
  }

  /** An h2c (prior knowledge) origin. */
  public static TestOrigin h2c() throws InterruptedException {
    return new TestOrigin(true);
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port() + path);
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Answer every request with this status. */
  public void status(int code) {
    status = code;
  }

  /** Hold every request from now on until {@link #release()}. */
  public void hold() {
    holding = true;
  }

  /** Answer the held requests, and answer at once from now on. */
  public void release() {
    holding = false;
    ChannelHandlerContext ctx;
    while ((ctx = held.poll()) != null) {
      ChannelHandlerContext c = ctx;
      c.executor().execute(() -> respond(c));
    }
  }

  /** Close the connection instead of answering. */
  public void closeOnRequest() {
    closeOnRequest = true;
  }

  /** Answer with bytes that are not HTTP. */
  public void garbage() {
    garbage = true;
  }

  public long received() {
    return received.get();
  }

  public long http2Requests() {
    return http2Requests.get();
  }

  public int connections() {
    return connections.get();
  }

  public int held() {
    return held.size();
  }

  public int maxInFlight() {
    return maxInFlight.get();
  }

  private void respond(ChannelHandlerContext ctx) {
    inFlight.decrementAndGet();
    ctx.writeAndFlush(TextResponses.of(ctx.alloc(), HttpResponseStatus.valueOf(status), "ok"));
  }

  private final class Handler extends ChannelInboundHandlerAdapter {
    private final boolean http2;

    Handler(boolean http2) {
      this.http2 = http2;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (!(msg instanceof LastHttpContent)) {
          return;
        }
        received.incrementAndGet();
        if (http2) {
          http2Requests.incrementAndGet();
        }
        if (closeOnRequest) {
          ctx.channel().close();
          return;
        }
        if (garbage) {
          // From the head of the pipeline, past the HTTP encoder.
          ctx.pipeline()
              .firstContext()
              .writeAndFlush(Unpooled.copiedBuffer("garbage\r\n\r\n", StandardCharsets.US_ASCII));
          return;
        }
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        if (holding) {
          held.add(ctx);
        } else {
          respond(ctx);
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (held.remove(ctx)) {
        inFlight.decrementAndGet();
      }
      ctx.fireChannelInactive();
    }
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
