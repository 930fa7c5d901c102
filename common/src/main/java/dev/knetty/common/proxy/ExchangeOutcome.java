package dev.knetty.common.proxy;

import java.util.Objects;

/**
 * How an exchange ended; handed to {@link ProxyPolicy#onComplete} exactly once per exchange.
 *
 * @param kind what ended the exchange
 * @param status the final status sent to the client (101 for a tunnel), or 0 if none was sent
 * @param responseStarted whether a final response head reached the client's channel
 * @param requestBytes request body bytes received from the client (tunnel bytes for upgrades)
 * @param responseBytes response body bytes written to the client (tunnel bytes for upgrades)
 * @param upstreamAttempts how many upstream connections were tried (0 if never forwarded)
 * @param durationNanos from arrival to completion
 * @param cause the error behind a {@link Kind#CONNECT_FAILED}, {@link Kind#UPSTREAM_ERROR} or
 *     {@link Kind#CLIENT_ABORT}, if one is known; otherwise {@code null}
 */
public record ExchangeOutcome(
    Kind kind,
    int status,
    boolean responseStarted,
    long requestBytes,
    long responseBytes,
    int upstreamAttempts,
    long durationNanos,
    Throwable cause) {

  /** What ended an exchange. */
  public enum Kind {
    /** The upstream response was relayed completely. */
    PROXIED,
    /** The policy answered locally ({@link ProxyExchange#respond}). */
    LOCAL,
    /** A timeout fired: 504 if nothing was sent yet, else the response was cut. */
    TIMEOUT,
    /** No upstream connection could be established: 502. */
    CONNECT_FAILED,
    /** The upstream failed after the request was sent: 502 before the response, else cut. */
    UPSTREAM_ERROR,
    /** The client went away (or the server was closed) before the response was complete. */
    CLIENT_ABORT,
    /** A 101 tunnel (websocket) ran and closed. */
    UPGRADED
  }

  public ExchangeOutcome {
    Objects.requireNonNull(kind, "kind");
  }

  /** Whether the policy itself answered. */
  public boolean localResponse() {
    return kind == Kind.LOCAL;
  }

  /** Whether a timeout ended the exchange. */
  public boolean timedOut() {
    return kind == Kind.TIMEOUT;
  }

  /** Whether the client went away first. */
  public boolean clientAborted() {
    return kind == Kind.CLIENT_ABORT;
  }
}
