package dev.knetty.bench.scenario.autoscaler;

import dev.knetty.common.RevisionKey;
import dev.knetty.common.kmp.Hello;
import dev.knetty.common.kmp.KmpEncoder;
import dev.knetty.common.kmp.KmpProtocol;
import dev.knetty.common.kmp.Role;
import dev.knetty.common.kmp.Stat;
import dev.knetty.common.kmp.StatBatch;
import dev.knetty.common.net.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Many KMP "queue-proxy" connections that send pre-encoded STATS frames as fast as the server reads
 * them, so that the benchmark measures the server rather than its clients: each connection's frames
 * are encoded once with {@link KmpEncoder} (the first one defines the revisions and the pod, the
 * others refer to them by id) and written again and again while the connection is writable.
 */
final class StatBlaster implements AutoCloseable {

  private final EventLoopGroup group;
  private final List<Channel> channels = new ArrayList<>();
  private final CountDownLatch handshakes;
  private volatile boolean running;

  /**
   * Connects {@code connections} clients; connection {@code c} reports for revisions {@code (c x
   * statsPerFrame + i) mod revisions.size()}, {@code i < statsPerFrame}, as pod {@code
   * bench-pod-c}.
   *
   * @param framesPerWrite frames per write (fewer, larger writes)
   */
  StatBlaster(
      Transport transport,
      int threads,
      InetSocketAddress server,
      List<RevisionKey> revisions,
      int connections,
      int statsPerFrame,
      int framesPerWrite) {
    this.group = transport.newEventLoopGroup(threads, "bench-kmp-sender");
    this.handshakes = new CountDownLatch(connections);
    Bootstrap bootstrap =
        new Bootstrap()
            .group(group)
            .channel(transport.socketChannelClass())
            .option(ChannelOption.TCP_NODELAY, true);
    List<ChannelFuture> connects = new ArrayList<>(connections);
    for (int c = 0; c < connections; c++) {
      Frames frames = Frames.encode(c, revisions, statsPerFrame, framesPerWrite);
      connects.add(bootstrap.clone().handler(new Sender(frames)).connect(server));
    }
    for (ChannelFuture f : connects) {
      channels.add(f.syncUninterruptibly().channel());
    }
  }

  /** Waits until every connection completed its handshake. */
  void awaitHandshakes(Duration timeout) throws InterruptedException {
    if (!handshakes.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(
          handshakes.getCount() + " KMP connections got no HELLO within " + timeout);
    }
  }

  /** Starts sending on every connection. */
  void start() {
    running = true;
    for (Channel ch : channels) {
      ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(Sender.START));
    }
  }

  /** Stops sending (connections stay open). */
  void stop() {
    running = false;
  }

  @Override
  public void close() {
    running = false;
    for (Channel ch : channels) {
      ch.close();
    }
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** One connection's pre-encoded bytes. */
  private record Frames(ByteBuf hello, ByteBuf first, ByteBuf steady) {

    static Frames encode(
        int connection, List<RevisionKey> revisions, int statsPerFrame, int framesPerWrite) {
      String pod = "bench-pod-" + connection;
      List<Stat> stats = new ArrayList<>(statsPerFrame);
      long now = System.currentTimeMillis();
      for (int i = 0; i < statsPerFrame; i++) {
        RevisionKey key = revisions.get((connection * statsPerFrame + i) % revisions.size());
        stats.add(new Stat(key, pod, now, 1, 0, 1, 0, 60));
      }
      StatBatch batch = new StatBatch(stats);
      KmpEncoder encoder =
          new KmpEncoder(
              KmpProtocol.DEFAULT_MAX_FRAME_LENGTH, KmpProtocol.DEFAULT_MAX_DICTIONARY_ENTRIES);
      ByteBuf hello = Unpooled.directBuffer();
      encoder.encode(
          Hello.of(
              Role.QUEUE_PROXY,
              pod,
              "",
              60_000,
              KmpProtocol.DEFAULT_MAX_FRAME_LENGTH,
              KmpProtocol.DEFAULT_MAX_DICTIONARY_ENTRIES),
          hello);
      ByteBuf first = Unpooled.directBuffer();
      encoder.encode(batch, first); // defines the revisions and the pod
      ByteBuf steady = Unpooled.directBuffer();
      for (int i = 0; i < framesPerWrite; i++) {
        encoder.encode(batch, steady); // ids only
      }
      return new Frames(hello, first, steady);
    }

    void release() {
      hello.release();
      first.release();
      steady.release();
    }
  }

  /** Writes the frames while the connection can take them; ignores what the server sends. */
  private final class Sender extends ChannelInboundHandlerAdapter {
    static final Object START = new Object();

    private final Frames frames;
    private boolean handshaken;
    private boolean sending;

    Sender(Frames frames) {
      this.frames = frames;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.writeAndFlush(frames.hello.retainedDuplicate());
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg); // the server's HELLO, then heartbeats
      if (!handshaken) {
        handshaken = true;
        ctx.writeAndFlush(frames.first.retainedDuplicate());
        handshakes.countDown();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt == START) {
        sending = true;
        pump(ctx);
      } else {
        ctx.fireUserEventTriggered(evt);
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      pump(ctx);
      ctx.fireChannelWritabilityChanged();
    }

    private void pump(ChannelHandlerContext ctx) {
      if (!sending) {
        return;
      }
      Channel ch = ctx.channel();
      while (running && ch.isWritable()) {
        ctx.write(frames.steady.retainedDuplicate());
      }
      ctx.flush();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      frames.release(); // when the channel is gone, whether it ever connected or not
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
