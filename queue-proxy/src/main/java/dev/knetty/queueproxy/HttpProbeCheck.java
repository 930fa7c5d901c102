package dev.knetty.queueproxy;

import dev.knetty.common.http.KnativeHeaders;
import dev.knetty.common.net.Transport;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;

/**
 * Knative's HTTP probe ({@code pkg/queue/health/probe.go}): {@code GET scheme://host:port/path}
 * with {@code User-Agent: kube-probe//} and the probe's headers, no keep-alive; ready iff the final
 * status is in [200, 400). Redirects are followed as Go's client does (301, 302, 303, 307, 308, at
 * most 10) when they stay on an IP address or {@code localhost}; a redirect to a host name is not
 * followed (that would need a blocking name lookup) and its 3xx status counts, as the kubelet's
 * prober counts off-host redirects.
 */
final class HttpProbeCheck extends ProbeCheck {

  static final int MAX_REDIRECTS = 10;

  private final ReadinessProbe.HttpGet action;
  private final SslContext ssl;

  HttpProbeCheck(
      EventLoop loop, Transport transport, ReadinessProbe.HttpGet action, SslContext ssl) {
    super(loop, transport);
    this.action = action;
    this.ssl = ssl;
  }

  @Override
  void run(Attempt a) {
    request(
        a,
        action.https(),
        action.host(),
        action.port(),
        authority(action.host(), action.port()),
        action.target(),
        0);
  }

  private void request(
      Attempt a,
      boolean https,
      String host,
      int port,
      String hostHeader,
      String target,
      int redirects) {
    if (a.isDone()) {
      return;
    }
    connect(
            a,
            host,
            port,
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                if (https) {
                  ch.pipeline().addLast(ssl.newHandler(ch.alloc(), host, port));
                }
                ch.pipeline()
                    .addLast(
                        new HttpClientCodec(),
                        new ResponseHandler(a, https, host, port, target, redirects));
              }
            })
        .addListener(
            f -> {
              if (f.isSuccess()) {
                ((io.netty.channel.ChannelFuture) f)
                    .channel()
                    .writeAndFlush(newRequest(hostHeader, target));
              }
            });
  }

  private FullHttpRequest newRequest(String hostHeader, String target) {
    FullHttpRequest req =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1, HttpMethod.GET, target, Unpooled.EMPTY_BUFFER);
    HttpHeaders h = req.headers();
    h.set(HttpHeaderNames.HOST, hostHeader);
    h.set(HttpHeaderNames.USER_AGENT, KnativeHeaders.QUEUE_PROXY_APP_PROBE_UA);
    for (ReadinessProbe.Header header : action.headers()) {
      // Go's client takes Host from the URL and the first User-Agent, ignoring these headers.
      if (!HttpHeaderNames.HOST.contentEqualsIgnoreCase(header.name())
          && !HttpHeaderNames.USER_AGENT.contentEqualsIgnoreCase(header.name())) {
        h.add(header.name(), header.value());
      }
    }
    // Knative's prober transport disables keep-alives.
    h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return req;
  }

  static boolean isReady(int status) {
    return status >= 200 && status < 400;
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  @Override
  public String toString() {
    return "http probe "
        + (action.https() ? "https://" : "http://")
        + authority(action.host(), action.port())
        + action.target();
  }

  /** Reads the response head of one request and decides (or follows a redirect). */
  private final class ResponseHandler extends ChannelInboundHandlerAdapter {
    private final Attempt a;
    private final boolean https;
    private final String host;
    private final int port;
    private final String target;
    private final int redirects;
    private boolean answered;

    ResponseHandler(Attempt a, boolean https, String host, int port, String target, int redirects) {
      this.a = a;
      this.https = https;
      this.host = host;
      this.port = port;
      this.target = target;
      this.redirects = redirects;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (!answered && msg instanceof HttpResponse) {
          answered = true;
          HttpResponse response = (HttpResponse) msg;
          int status = response.status().code();
          String location = response.headers().get(HttpHeaderNames.LOCATION);
          if (isRedirect(status) && location != null) {
            redirect(ctx, status, location);
          } else {
            a.finish(isReady(status), "status " + status);
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private void redirect(ChannelHandlerContext ctx, int status, String location) {
      if (redirects >= MAX_REDIRECTS) {
        a.finish(false, "stopped after " + MAX_REDIRECTS + " redirects");
        return;
      }
      URI next;
      try {
        URI base = new URI((https ? "https://" : "http://") + authority(host, port) + target);
        next = base.resolve(location);
      } catch (java.net.URISyntaxException | IllegalArgumentException e) {
        a.finish(false, "bad Location " + location);
        return;
      }
      String scheme = next.getScheme();
      String nextHost = next.getHost();
      if (nextHost != null && nextHost.startsWith("[") && nextHost.endsWith("]")) {
        nextHost = nextHost.substring(1, nextHost.length() - 1);
      }
      boolean nextHttps = "https".equalsIgnoreCase(scheme);
      if (!(nextHttps || "http".equalsIgnoreCase(scheme))
          || nextHost == null
          || (nextHttps && ssl == null)
          || !(NetUtil.isValidIpV4Address(nextHost)
              || NetUtil.isValidIpV6Address(nextHost)
              || "localhost".equals(nextHost))) {
        // Not followed: the redirect itself is the answer.
        a.finish(isReady(status), "status " + status + " to " + location);
        return;
      }
      int nextPort = next.getPort() > 0 ? next.getPort() : nextHttps ? 443 : 80;
      String path =
          next.getRawPath() == null || next.getRawPath().isEmpty() ? "/" : next.getRawPath();
      String nextTarget = next.getRawQuery() == null ? path : path + "?" + next.getRawQuery();
      ctx.channel().close();
      request(a, nextHttps, nextHost, nextPort, next.getRawAuthority(), nextTarget, redirects + 1);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!answered) {
        a.finish(false, "connection closed before a response");
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      a.finish(false, String.valueOf(cause));
    }
  }
}
