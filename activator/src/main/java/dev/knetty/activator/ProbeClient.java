package dev.knetty.activator;

import dev.knetty.common.http.KnativeHeaders;
import dev.knetty.common.net.PipelineNames;
import dev.knetty.common.net.Transport;
import dev.knetty.common.proxy.UpstreamTarget;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Knative's activator probe of a pod's queue-proxy ({@code revision_backends.go}): {@code GET
 * /healthz} with {@code K-Network-Probe: queue} and {@code User-Agent: Knative-Activator-Probe};
 * healthy iff the answer is 200 with the body {@code queue}, within the timeout (connect included).
 *
 * <p>One HTTP/1.1 keep-alive connection per pod, reused by the pod's next probe and closed when the
 * pod stops being probed ({@link #forget}) or a probe fails. Knetty's queue-proxy serves HTTP/1.1
 * and h2c on the same port, so probes need no h2c. Everything runs on one event loop (the
 * activator's control loop): no locks.
 */
final class ProbeClient implements AutoCloseable {

  static final String PATH = "/healthz";
  private static final String EXPECTED_BODY = KnativeHeaders.PROBE_QUEUE;
  private static final int MAX_RESPONSE_BYTES = 8 * 1024;

  private final EventLoop loop;
  private final Bootstrap bootstrap;
  private final long timeoutNanos;
  private final Map<UpstreamTarget, Connection> connections = new HashMap<>();

  ProbeClient(EventLoop loop, Transport transport, Duration timeout) {
    this.loop = loop;
    this.timeoutNanos = timeout.toNanos();
    this.bootstrap =
        new Bootstrap()
            .group(loop)
            .channel(transport.socketChannelClass())
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, timeout.toMillis()))
            .option(ChannelOption.TCP_NODELAY, true);
  }

  /**
   * Probes {@code pod} once; the future (on the loop) tells whether it is healthy. One probe per
   * pod at a time. Must be called on the loop.
   */
  Future<Boolean> probe(UpstreamTarget pod) {
    Promise<Boolean> result = loop.newPromise();
    ScheduledFuture<?> timer =
        loop.schedule(
            () -> {
              if (result.trySuccess(false)) {
                forget(pod); // a late answer would confuse the next probe
              }
            },
            timeoutNanos,
            TimeUnit.NANOSECONDS);
    result.addListener(f -> timer.cancel(false));
    Connection existing = connections.get(pod);
    if (existing != null && existing.idle()) {
      existing.send(pod, result);
      return result;
    }
    forget(pod);
    Connection connection = new Connection();
    connections.put(pod, connection);
    ChannelFuture connect =
        bootstrap
            .clone()
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(PipelineNames.HTTP_CLIENT_CODEC, new HttpClientCodec())
                        .addLast(
                            PipelineNames.HTTP_AGGREGATOR,
                            new HttpObjectAggregator(MAX_RESPONSE_BYTES))
                        .addLast(PipelineNames.ACTIVATOR_PROBE, connection);
                  }
                })
            .connect(pod.host(), pod.port());
    connection.channel = connect.channel();
    connect.addListener(
        f -> {
          if (!f.isSuccess()) {
            connections.remove(pod, connection);
            result.trySuccess(false);
          } else if (!result.isDone()) {
            connection.send(pod, result);
          } else {
            connect.channel().close();
          }
        });
    return result;
  }

  /** Closes the keep-alive connection to {@code pod}, if any. On the loop. */
  void forget(UpstreamTarget pod) {
    Connection c = connections.remove(pod);
    if (c != null) {
      c.close();
    }
  }

  /** Open probe connections; for tests. */
  int connections() {
    return connections.size();
  }

  /** Closes every connection. On the loop. */
  @Override
  public void close() {
    for (Connection c : new ArrayList<>(connections.values())) {
      c.close();
    }
    connections.clear();
  }

  /** One pod's probe connection; the handler at the end of its pipeline. */
  private final class Connection extends SimpleChannelInboundHandler<FullHttpResponse> {
    private Channel channel;
    private Promise<Boolean> current;

    boolean idle() {
      return current == null && channel.isActive();
    }

    void send(UpstreamTarget pod, Promise<Boolean> result) {
      current = result;
      FullHttpRequest request =
          new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, PATH);
      request
          .headers()
          .set(HttpHeaderNames.HOST, pod.authority())
          .set(KnativeHeaders.NETWORK_PROBE, KnativeHeaders.PROBE_QUEUE)
          .set(HttpHeaderNames.USER_AGENT, KnativeHeaders.ACTIVATOR_PROBE_UA)
          .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
      channel
          .writeAndFlush(request)
          .addListener(
              f -> {
                if (!f.isSuccess()) {
                  finish(false);
                  close();
                }
              });
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      boolean healthy =
          response.status().code() == HttpResponseStatus.OK.code()
              && response.content().toString(StandardCharsets.UTF_8).equals(EXPECTED_BODY);
      boolean keepAlive = HttpUtil.isKeepAlive(response);
      finish(healthy);
      if (!keepAlive) {
        close();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      finish(false);
      connections.values().remove(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      finish(false);
      close();
    }

    private void finish(boolean healthy) {
      Promise<Boolean> p = current;
      current = null;
      if (p != null) {
        p.trySuccess(healthy);
      }
    }

    void close() {
      channel.close();
    }
  }
}
