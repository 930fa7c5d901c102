package dev.knetty.common.proxy;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.InetSocketAddress;

/**
 * One request (an HTTP/1.1 request or an HTTP/2 stream) and its response, as the engine hands it to
 * a {@link ProxyPolicy}.
 *
 * <p><b>Threading.</b> Every method that acts ({@link #forward}, {@link #respond}, {@link
 * #timeouts}, {@link #onCancel}) must be called on {@link #eventLoop()}; a policy that waits for
 * something (a breaker permit) continues on that loop, e.g. with {@code future.addListener(..)} on
 * an event-loop promise or {@code exchange.eventLoop().execute(..)}. Reading accessors may be
 * called anywhere.
 *
 * <p><b>Deciding.</b> The policy decides exactly once, now or later: {@link #forward} or {@link
 * #respond}. Until then the engine does not read the request body (beyond {@link
 * ProxyServerConfig#preReadLimitBytes()}). A decision after the exchange ended (client gone,
 * timeout) returns {@code false}; the policy then releases whatever it acquired for it.
 */
public interface ProxyExchange {

  /**
   * The protocol the client speaks; the upstream protocol follows it (Knative's auto transport).
   */
  enum Protocol {
    HTTP_1_1,
    H2C
  }

  /**
   * The request head. Its headers may be changed until the exchange is forwarded (e.g. {@code
   * K-Proxy-Request}, {@code K-Original-Host}, removing {@code Knative-Serving-*}); the engine has
   * already removed hop-by-hop headers and adds {@code X-Forwarded-For} (and {@code Forwarded}, see
   * {@link ProxyPolicy#synthesizeForwarded()}) when forwarding.
   */
  HttpRequest request();

  /** The client protocol. */
  Protocol protocol();

  /** Whether the request asks for a protocol upgrade (websocket): it is tunnelled on 101. */
  boolean isUpgrade();

  /** The client's address (the connection's peer; {@code null} if it is not an IP socket). */
  InetSocketAddress remoteAddress();

  /**
   * When the request head arrived, on the event loop's clock: compare it with {@code
   * eventLoop().ticker().nanoTime()}.
   */
  long arrivalNanos();

  /** The event loop this exchange lives on. */
  EventLoop eventLoop();

  /**
   * Replaces the timeouts (default: {@link ProxyServerConfig#defaultTimeouts()}); they still count
   * from arrival. Has no effect once the exchange ended or became a tunnel.
   */
  void timeouts(ExchangeTimeouts timeouts);

  /** The timeouts in force. */
  ExchangeTimeouts timeouts();

  /** Request body bytes the engine holds while the policy has not forwarded yet. */
  long bufferedRequestBytes();

  /**
   * Proxies the exchange to {@code target} (h2c upstream iff the client speaks h2c; upgrades on a
   * fresh HTTP/1.1 connection).
   *
   * @return {@code false} if the exchange already ended (nothing happens)
   * @throws IllegalStateException if the policy already decided, or off the event loop
   */
  boolean forward(UpstreamTarget target);

  /**
   * Answers locally with {@code status} and {@code text} the way Go's {@code http.Error} does; the
   * request body is discarded without being aggregated (the connection is closed if it is large).
   *
   * @return {@code false} if the exchange already ended
   * @throws IllegalStateException if the policy already decided, or off the event loop
   */
  boolean respond(HttpResponseStatus status, String text);

  /**
   * Answers locally with {@code response}, whose ownership passes to the engine (it is released if
   * the exchange already ended).
   *
   * @return {@code false} if the exchange already ended
   * @throws IllegalStateException if the policy already decided, or off the event loop
   */
  boolean respond(FullHttpResponse response);

  /**
   * Runs {@code hook} on the event loop if the exchange ends before the policy decided: the client
   * went away, a timeout answered 504, or the server closed. Use it to cancel a pending permit
   * acquisition. One hook per exchange; a later call replaces it.
   */
  void onCancel(Runnable hook);

  /** Whether the exchange has ended (its outcome was, or is being, reported). */
  boolean isDone();

  /** The current (last tried) upstream target, or {@code null} before {@link #forward}. */
  UpstreamTarget target();

  /** Attaches policy state (e.g. a permit) to the exchange. */
  void attach(Object attachment);

  /** The object given to {@link #attach}, or {@code null}. */
  Object attachment();
}
