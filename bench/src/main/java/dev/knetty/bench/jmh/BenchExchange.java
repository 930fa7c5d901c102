package dev.knetty.bench.jmh;

import dev.knetty.common.proxy.ExchangeTimeouts;
import dev.knetty.common.proxy.ProxyExchange;
import dev.knetty.common.proxy.UpstreamTarget;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.InetSocketAddress;

/**
 * A {@link ProxyExchange} without sockets: what a policy's per-request work costs, engine excluded.
 * {@link #forward} and {@link #respond} only record the decision.
 */
final class BenchExchange implements ProxyExchange {

  private static final InetSocketAddress CLIENT = new InetSocketAddress("10.0.0.7", 40_000);

  private final HttpRequest request;
  private final EventLoop loop;
  private ExchangeTimeouts timeouts = ExchangeTimeouts.DEFAULT;
  private Object attachment;
  private UpstreamTarget target;
  private int status;

  BenchExchange(HttpRequest request, EventLoop loop) {
    this.request = request;
    this.loop = loop;
  }

  /** Whether the policy forwarded (else it answered with {@link #status()}). */
  boolean forwarded() {
    return target != null;
  }

  int status() {
    return status;
  }

  @Override
  public HttpRequest request() {
    return request;
  }

  @Override
  public Protocol protocol() {
    return Protocol.HTTP_1_1;
  }

  @Override
  public boolean isUpgrade() {
    return false;
  }

  @Override
  public InetSocketAddress remoteAddress() {
    return CLIENT;
  }

  @Override
  public long arrivalNanos() {
    return 0;
  }

  @Override
  public EventLoop eventLoop() {
    return loop;
  }

  @Override
  public void timeouts(ExchangeTimeouts value) {
    timeouts = value;
  }

  @Override
  public ExchangeTimeouts timeouts() {
    return timeouts;
  }

  @Override
  public long bufferedRequestBytes() {
    return 0;
  }

  @Override
  public boolean forward(UpstreamTarget value) {
    target = value;
    return true;
  }

  @Override
  public boolean respond(HttpResponseStatus value, String text) {
    status = value.code();
    return true;
  }

  @Override
  public boolean respond(FullHttpResponse response) {
    status = response.status().code();
    response.release();
    return true;
  }

  @Override
  public void onCancel(Runnable hook) {}

  @Override
  public boolean isDone() {
    return false;
  }

  @Override
  public UpstreamTarget target() {
    return target;
  }

  @Override
  public void attach(Object value) {
    attachment = value;
  }

  @Override
  public Object attachment() {
    return attachment;
  }
}
