package dev.knetty.common.proxy;

import io.netty.handler.codec.http.HttpResponse;

/**
 * What a component plugs into the {@link ProxyServer}: it decides, per exchange, whether and where
 * to proxy (breaker, throttler, endpoint choice, probes). All methods run on the exchange's event
 * loop and must not block; an exception thrown by {@link #onRequest} answers 500.
 */
public interface ProxyPolicy {

  /**
   * A request head arrived. Decide now or later with {@link ProxyExchange#forward} or {@link
   * ProxyExchange#respond}.
   */
  void onRequest(ProxyExchange exchange);

  /**
   * The exchange ended; called exactly once per exchange, including exchanges that ended while the
   * policy was still deciding. Release permits and record metrics here.
   */
  default void onComplete(ProxyExchange exchange, ExchangeOutcome outcome) {}

  /**
   * Connecting to {@code failed} did not work (refused, timed out, or reset before any request byte
   * was accepted), attempt number {@code attempt} (1-based). A request whose body was partly sent
   * is never offered here. The engine stops at {@link ProxyServerConfig#maxUpstreamAttempts()}.
   *
   * @return where to try next, or {@link Retry#giveUp()} (the default) for a 502
   */
  default Retry onConnectFailure(
      ProxyExchange exchange, UpstreamTarget failed, Throwable cause, int attempt) {
    return Retry.giveUp();
  }

  /**
   * The upstream response head (including a 101) is about to be sent to the client; hop-by-hop
   * headers are already removed. Add or change headers here (e.g. a cold-start marker).
   */
  default void onResponseHeaders(ProxyExchange exchange, HttpResponse response) {}

  /**
   * Whether to synthesize a {@code Forwarded} header from the incoming {@code X-Forwarded-*}
   * headers when none is present (Knative queue-proxy's shim, {@link
   * dev.knetty.common.http.ForwardedShim}).
   */
  default boolean synthesizeForwarded() {
    return false;
  }
}
