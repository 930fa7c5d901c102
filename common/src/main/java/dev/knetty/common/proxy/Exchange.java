package dev.knetty.common.proxy;

import dev.knetty.common.http.ForwardedShim;
import dev.knetty.common.http.TextResponses;
import dev.knetty.common.log.LogLimiter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request and its response: the {@link ProxyExchange} a policy sees, and the state machine that
 * moves bytes between the client channel and one upstream channel. Everything runs on the client
 * channel's event loop, which is also the upstream channel's (per-loop pools), so no field needs
 * synchronization.
 *
 * <p>Backpressure: a client message is read only when the upstream channel is writable (else on its
 * writability change); an upstream message is read only when the client channel is writable. So the
 * engine holds at most a write buffer's worth plus one message per direction.
 *
 * <p>Ownership: every {@link HttpContent} taken from one side is written to the other (which
 * releases it), held in {@link #held} (released on completion), or released on the spot.
 */
final class Exchange implements ProxyExchange {

  private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);

  private enum State {
    /** The policy has not decided. */
    WAITING,
    /** Forwarded: acquiring an upstream channel (or backing off before the next attempt). */
    CONNECTING,
    /** The request head went (or is going) upstream; bodies stream both ways. */
    PROXYING,
    /** A local answer (policy, 502, 504) is being written; nothing else goes to the client. */
    LOCAL,
    /** After a 101: raw bytes both ways until either side closes. */
    TUNNEL,
    DONE
  }

  private enum Timer {
    TOTAL,
    RESPONSE_START,
    IDLE
  }

  private final ProxyContext px;
  private final ClientHandler client;
  private final Channel clientCh;
  private final EventLoop loop;
  private final HttpRequest request;
  private final Protocol protocol;
  private final Ticker ticker;
  private final long arrivalNanos;
  private final String upgradeType;
  private final boolean chunkedRequest;
  private final boolean expectContinue;
  private final boolean headRequest;
  private final boolean http10;
  private final boolean clientKeepAlive;

  private State state = State.WAITING;
  private boolean decided;
  private Runnable cancelHook;
  private Object attachment;

  // Request side.
  private final ArrayDeque<HttpContent> held = new ArrayDeque<>(2);
  private long heldBytes;
  private boolean requestComplete;
  private long requestBytes;

  // Timeouts.
  private ExchangeTimeouts timeouts;
  private ScheduledFuture<?> totalTimer;
  private ScheduledFuture<?> responseStartTimer;
  private ScheduledFuture<?> idleTimer;
  private ScheduledFuture<?> backoffTimer;
  // The pool acquisition in progress (possibly queued behind a burst), cancelled if we end first.
  private Future<UpstreamLease> acquiring;
  // Knative's idle clock: the last write to the client, arrival before the first.
  private long lastWriteNanos;

  // Upstream side.
  private UpstreamTarget target;
  private int attempts;
  private UpstreamLease lease;
  private boolean headPrepared;
  private boolean hostFromTarget;
  private boolean headWritten;
  private boolean bodySent;
  private boolean lastRequestWriteIssued;
  private boolean requestSent;
  private boolean clientReadWanted;
  private boolean upstreamReadWanted;
  private boolean upstreamKeepAlive = true;
  private boolean responseReceived;
  private HttpResponse interim;

  // Client response.
  private int status;
  private boolean responseStarted;
  private boolean responseStreamed;
  private boolean finalWriteIssued;
  private boolean closeClientAfter;
  private long responseBytes;
  private ExchangeOutcome.Kind finalKind = ExchangeOutcome.Kind.PROXIED;
  private Throwable finalCause;

  // Bytes that arrive while both pipelines switch to a tunnel.
  private List<ByteBuf> toUpstream;
  private List<ByteBuf> toClient;

  // The most bytes the engine held for this exchange (held body plus an outbound buffer), for
  // tests.
  private long peakBufferedBytes;

  private final GenericFutureListener<Future<UpstreamLease>> acquireListener = this::onAcquired;
  private final ChannelFutureListener headWriteListener = this::onHeadWritten;
  private final ChannelFutureListener requestSentListener = this::onRequestSent;
  private final ChannelFutureListener upstreamWriteListener =
      f -> {
        if (!f.isSuccess() && isCurrent(f.channel())) {
          upstreamClosed(f.cause());
        }
      };
  private final ChannelFutureListener clientWriteListener =
      f -> {
        if (!f.isSuccess()) {
          clientClosed(f.cause());
        }
      };
  private final ChannelFutureListener finalWriteListener =
      f -> {
        if (f.isSuccess()) {
          complete(finalKind, finalCause);
        } else if (finalKind == ExchangeOutcome.Kind.PROXIED) {
          complete(ExchangeOutcome.Kind.CLIENT_ABORT, f.cause());
        } else {
          complete(finalKind, finalCause != null ? finalCause : f.cause());
        }
      };

  Exchange(
      ProxyContext px, ClientHandler client, Channel clientCh, HttpRequest msg, Protocol protocol) {
    this.px = px;
    this.client = client;
    this.clientCh = clientCh;
    this.loop = clientCh.eventLoop();
    // The loop's clock, which is also what its timers use (and what tests can move).
    this.ticker = loop.ticker();
    this.arrivalNanos = ticker.nanoTime();
    this.lastWriteNanos = arrivalNanos;
    this.protocol = protocol;
    this.upgradeType =
        protocol == Protocol.HTTP_1_1 ? ProxyHeaders.upgradeType(msg.headers()) : null;
    this.chunkedRequest = HttpUtil.isTransferEncodingChunked(msg);
    this.expectContinue = HttpUtil.is100ContinueExpected(msg);
    this.headRequest = HttpMethod.HEAD.equals(msg.method());
    this.http10 = HttpVersion.HTTP_1_0.equals(msg.protocolVersion());
    this.clientKeepAlive = HttpUtil.isKeepAlive(msg);
    if (msg instanceof FullHttpRequest) {
      // An h2 request without a body, or an aggregated h2c-upgrade request: keep head and body
      // apart so that the head can be written again on a retry.
      FullHttpRequest full = (FullHttpRequest) msg;
      this.request =
          new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers());
      requestBytes = full.content().readableBytes();
      hold(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
      requestComplete = true;
    } else {
      this.request = msg;
    }
    ProxyHeaders.stripRequest(request.headers());
    this.timeouts = px.config.defaultTimeouts();
  }

  // ---------------------------------------------------------------- ProxyExchange

  @Override
  public HttpRequest request() {
    return request;
  }

  @Override
  public Protocol protocol() {
    return protocol;
  }

  @Override
  public boolean isUpgrade() {
    return upgradeType != null;
  }

  @Override
  public InetSocketAddress remoteAddress() {
    SocketAddress address = clientCh.remoteAddress();
    return address instanceof InetSocketAddress ? (InetSocketAddress) address : null;
  }

  @Override
  public long arrivalNanos() {
    return arrivalNanos;
  }

  @Override
  public EventLoop eventLoop() {
    return loop;
  }

  @Override
  public void timeouts(ExchangeTimeouts value) {
    checkLoop();
    Objects.requireNonNull(value, "timeouts");
    if (state == State.DONE || state == State.TUNNEL) {
      return;
    }
    timeouts = value;
    armTimers();
  }

  @Override
  public ExchangeTimeouts timeouts() {
    return timeouts;
  }

  @Override
  public long bufferedRequestBytes() {
    return heldBytes;
  }

  @Override
  public boolean forward(UpstreamTarget target) {
    checkLoop();
    Objects.requireNonNull(target, "target");
    if (!mayDecide()) {
      return false;
    }
    decided = true;
    cancelHook = null;
    this.target = target;
    state = State.CONNECTING;
    connect();
    return true;
  }

  @Override
  public boolean respond(HttpResponseStatus status, String text) {
    checkLoop();
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(text, "text");
    if (!mayDecide()) {
      return false;
    }
    return respond(TextResponses.of(clientCh.alloc(), status, text));
  }

  @Override
  public boolean respond(FullHttpResponse response) {
    checkLoop();
    Objects.requireNonNull(response, "response");
    if (!mayDecide()) {
      response.release();
      return false;
    }
    decided = true;
    cancelHook = null;
    writeLocal(response, ExchangeOutcome.Kind.LOCAL, null);
    return true;
  }

  @Override
  public void onCancel(Runnable hook) {
    checkLoop();
    cancelHook = hook;
  }

  @Override
  public boolean isDone() {
    return state == State.DONE;
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

  /** Whether the policy may still decide: false once the engine answered (504, abort). */
  private boolean mayDecide() {
    if (state == State.WAITING) {
      return true;
    }
    if (decided) {
      throw new IllegalStateException("exchange already decided");
    }
    return false;
  }

  private void checkLoop() {
    if (!loop.inEventLoop()) {
      throw new IllegalStateException("not on the exchange's event loop " + loop);
    }
  }

  // ---------------------------------------------------------------- lifecycle

  void start() {
    px.exchangeStarted();
    armTimers();
    try {
      px.policy.onRequest(this);
    } catch (Throwable t) {
      long held = px.warnLog.tryAcquire();
      if (held >= 0) {
        LOG.warn(
            "proxy policy failed on {} {}{}",
            request.method(),
            request.uri(),
            LogLimiter.suffix(held),
            t);
      }
      if (state == State.WAITING) {
        decided = true;
        writeLocal(
            TextResponses.of(
                clientCh.alloc(),
                HttpResponseStatus.INTERNAL_SERVER_ERROR,
                HttpResponseStatus.INTERNAL_SERVER_ERROR.reasonPhrase()),
            ExchangeOutcome.Kind.LOCAL,
            t);
      }
    }
    if (state == State.WAITING) {
      readWhileWaiting();
    }
  }

  boolean requestComplete() {
    return requestComplete;
  }

  /** Test hook: the most request/response bytes this exchange held at once. */
  long peakBufferedBytes() {
    return peakBufferedBytes;
  }

  /** Test hook: the client is not read because the upstream channel is not writable. */
  boolean waitingForUpstreamWritability() {
    return clientReadWanted;
  }

  /** Test hook: the upstream is not read because the client channel is not writable. */
  boolean waitingForClientWritability() {
    return upstreamReadWanted;
  }

  /**
   * Before the upstream takes the body: read on only within the pre-read allowance; once the
   * request is complete keep one read pending, which notices a client that goes away.
   */
  private void readWhileWaiting() {
    if (!requestComplete) {
      if (heldBytes < px.config.preReadLimitBytes()) {
        client.requestRead();
      }
    } else if (upgradeType == null) {
      client.requestRead();
    }
  }

  private void complete(ExchangeOutcome.Kind kind, Throwable cause) {
    if (state == State.DONE) {
      return;
    }
    boolean undecided = !decided;
    state = State.DONE;
    cancelTimers();
    cancelUpstream();
    releaseHeld();
    releaseAll(toUpstream);
    releaseAll(toClient);
    toUpstream = null;
    toClient = null;
    interim = null;
    Runnable hook = cancelHook;
    cancelHook = null;
    if (undecided && hook != null) {
      try {
        hook.run();
      } catch (Throwable t) {
        warn("cancel hook failed", t);
      }
    }
    ExchangeOutcome outcome =
        new ExchangeOutcome(
            kind,
            status,
            responseStarted,
            requestBytes,
            responseBytes,
            attempts,
            ticker.nanoTime() - arrivalNanos,
            cause);
    try {
      px.policy.onComplete(this, outcome);
    } catch (Throwable t) {
      warn("proxy policy onComplete failed", t);
    }
    px.exchangeEnded();
    client.exchangeDone(this, requestComplete, closeClientAfter);
  }

  // ---------------------------------------------------------------- client events

  void clientContent(HttpContent content) {
    if (content.decoderResult().isFailure()) {
      Throwable cause = content.decoderResult().cause();
      content.release();
      requestComplete = true;
      cancelUpstream();
      clientCh.close();
      complete(ExchangeOutcome.Kind.CLIENT_ABORT, cause);
      return;
    }
    requestBytes += content.content().readableBytes();
    boolean last = content instanceof LastHttpContent;
    if (last) {
      requestComplete = true;
    }
    switch (state) {
      case WAITING:
      case CONNECTING:
        hold(content);
        readWhileWaiting();
        break;
      case PROXYING:
        if (lease == null) {
          // The upstream already answered in full: the rest of the body is not wanted.
          content.release();
        } else if (!headWritten) {
          hold(content);
        } else {
          writeUpstream(content, last);
          pumpClient();
        }
        break;
      default:
        content.release();
    }
  }

  void clientWritabilityChanged(boolean writable) {
    if (writable && upstreamReadWanted && lease != null) {
      upstreamReadWanted = false;
      lease.requestRead();
    }
  }

  /** The client channel closed or failed (or reset its stream). */
  void clientClosed(Throwable cause) {
    if (state == State.DONE) {
      return;
    }
    if (state == State.TUNNEL) {
      endTunnel();
      return;
    }
    if (finalWriteIssued) {
      return; // the final write's listener reports the outcome
    }
    cancelUpstream();
    complete(ExchangeOutcome.Kind.CLIENT_ABORT, cause);
  }

  // ---------------------------------------------------------------- upstream: connect and send

  private void connect() {
    backoffTimer = null;
    if (state != State.CONNECTING) {
      return;
    }
    attempts++;
    Future<UpstreamLease> f =
        px.pool(loop).acquire(target, protocol == Protocol.H2C, upgradeType != null);
    acquiring = f.isDone() ? null : f;
    f.addListener(acquireListener);
  }

  private void onAcquired(Future<UpstreamLease> f) {
    if (acquiring == f) {
      acquiring = null;
    }
    if (f.isCancelled()) {
      return; // by cancelUpstream: this exchange is over
    }
    if (!f.isSuccess()) {
      if (state == State.CONNECTING && lease == null && backoffTimer == null) {
        connectFailed(f.cause());
      }
      return;
    }
    UpstreamLease l = f.getNow();
    if (state != State.CONNECTING || lease != null) {
      l.release(true); // unused: back to the pool
      return;
    }
    lease = l;
    l.bind(this);
    state = State.PROXYING;
    if (!headPrepared) {
      prepareHead();
    }
    if (hostFromTarget) {
      request.headers().set(HttpHeaderNames.HOST, target.authority());
    }
    l.channel().writeAndFlush(request).addListener(headWriteListener);
    l.requestRead();
  }

  /** Header rewriting that happens once, whatever the number of attempts. */
  private void prepareHead() {
    headPrepared = true;
    HttpHeaders h = request.headers();
    if (px.policy.synthesizeForwarded()) {
      ForwardedShim.apply(h);
    }
    ProxyHeaders.appendXForwardedFor(h, remoteAddress());
    request.setProtocolVersion(HttpVersion.HTTP_1_1);
    request.setUri(originForm(request.uri()));
    // Without a Host (HTTP/1.0, or cleared by the policy) the target's authority is the Host of
    // each attempt, as Go's transport takes it from the request URL.
    hostFromTarget = !h.contains(HttpHeaderNames.HOST);
    if (protocol == Protocol.HTTP_1_1) {
      h.remove(ProxyHeaders.SCHEME);
      if (!HttpUtil.isContentLengthSet(request)) {
        if (chunkedRequest) {
          HttpUtil.setTransferEncodingChunked(request, true);
        } else if (requestComplete && requestBytes > 0) {
          HttpUtil.setContentLength(request, requestBytes);
        }
      }
      if (upgradeType != null) {
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        h.set(HttpHeaderNames.UPGRADE, upgradeType);
      }
    }
  }

  private void onHeadWritten(io.netty.channel.ChannelFuture f) {
    if (state != State.PROXYING || !isCurrent(f.channel())) {
      return;
    }
    if (!f.isSuccess()) {
      connectFailed(f.cause());
      return;
    }
    headWritten = true;
    HttpContent c;
    while (state == State.PROXYING && lease != null && (c = held.poll()) != null) {
      heldBytes -= c.content().readableBytes();
      writeUpstream(c, c instanceof LastHttpContent);
    }
    pumpClient();
  }

  private void writeUpstream(HttpContent content, boolean last) {
    if (content.content().isReadable()
        || (last && !((LastHttpContent) content).trailingHeaders().isEmpty())) {
      bodySent = true;
    }
    Channel up = lease.channel();
    if (last) {
      lastRequestWriteIssued = true;
      up.writeAndFlush(content).addListener(requestSentListener);
    } else {
      up.writeAndFlush(content).addListener(upstreamWriteListener);
    }
    sample(up);
  }

  /** Reads the next client message when the upstream can take it. */
  private void pumpClient() {
    if (state != State.PROXYING || lease == null) {
      return;
    }
    if (!requestComplete) {
      if (lease.channel().isWritable()) {
        client.requestRead();
      } else {
        clientReadWanted = true;
      }
    } else if (upgradeType == null) {
      client.requestRead();
    }
  }

  private void onRequestSent(io.netty.channel.ChannelFuture f) {
    if (state == State.DONE || !isCurrent(f.channel())) {
      return;
    }
    if (!f.isSuccess()) {
      upstreamClosed(f.cause());
      return;
    }
    requestSent = true;
    releaseUpstreamIfDone();
  }

  void upstreamWritabilityChanged(boolean writable) {
    if (writable && clientReadWanted) {
      clientReadWanted = false;
      client.requestRead();
    }
  }

  private boolean isCurrent(Channel ch) {
    return lease != null && lease.channel() == ch;
  }

  // ---------------------------------------------------------------- upstream failures and retries

  /** Nothing of the request was accepted upstream: retry (pool, policy) or answer 502. */
  private void connectFailed(Throwable cause) {
    if (state == State.DONE) {
      return;
    }
    UpstreamLease failed = lease;
    lease = null;
    boolean stale = failed != null && failed.reused();
    if (failed != null) {
      failed.release(false);
    }
    rewindRequest();
    state = State.CONNECTING;
    LOG.debug("upstream {} attempt {} failed: {}", target, attempts, String.valueOf(cause));
    if (attempts < px.config.maxUpstreamAttempts()) {
      if (stale) {
        // A pooled connection died: that says nothing about the target, try a fresh one.
        connect();
        return;
      }
      Retry retry;
      try {
        retry = px.policy.onConnectFailure(this, target, cause, attempts);
      } catch (Throwable t) {
        warn("proxy policy onConnectFailure failed", t);
        retry = Retry.giveUp();
      }
      if (state == State.CONNECTING && retry != null && !retry.isGiveUp()) {
        target = retry.target();
        long backoff = retry.backoff().toNanos();
        if (backoff > 0) {
          backoffTimer = loop.schedule(this::connect, backoff, TimeUnit.NANOSECONDS);
        } else {
          connect();
        }
        return;
      }
    }
    if (state == State.CONNECTING) {
      respondError(
          HttpResponseStatus.BAD_GATEWAY,
          dialError(target, cause),
          ExchangeOutcome.Kind.CONNECT_FAILED,
          cause);
    }
  }

  /** Makes the request ready to be sent again; only called when no body byte was sent. */
  private void rewindRequest() {
    headWritten = false;
    lastRequestWriteIssued = false;
    requestSent = false;
    clientReadWanted = false;
    upstreamReadWanted = false;
    if (requestComplete && held.isEmpty() && !bodySent) {
      // The (empty) end of the request went out with the failed attempt.
      held.add(LastHttpContent.EMPTY_LAST_CONTENT);
    }
  }

  /** The upstream channel closed or failed (or a write to it failed). */
  void upstreamClosed(Throwable cause) {
    if (state == State.DONE || lease == null) {
      return;
    }
    if (state == State.TUNNEL) {
      endTunnel();
      return;
    }
    if (state != State.PROXYING) {
      return;
    }
    if (responseReceived) {
      cancelUpstream(); // a close after the response: nothing lost, just not reusable
      return;
    }
    if (!headWritten) {
      connectFailed(cause != null ? cause : new ClosedChannelException());
      return;
    }
    if (!responseStarted
        && interim == null
        && !bodySent
        && lease.reused()
        && replayable()
        && attempts < px.config.maxUpstreamAttempts()) {
      // A kept-alive connection the upstream had closed: nothing was processed, so send the
      // request again on a new connection, as Go's Transport does.
      UpstreamLease stale = lease;
      lease = null;
      stale.release(false);
      rewindRequest();
      state = State.CONNECTING;
      connect();
      return;
    }
    failUpstream(cause == null ? "EOF" : describe(cause), cause);
  }

  /** The upstream broke this exchange: 502 if nothing was sent yet, else cut the response. */
  private void failUpstream(String text, Throwable cause) {
    cancelUpstream();
    LOG.debug("upstream {} failed: {}", target, text);
    if (!responseStarted) {
      respondError(
          HttpResponseStatus.BAD_GATEWAY, text, ExchangeOutcome.Kind.UPSTREAM_ERROR, cause);
    } else {
      clientCh.close();
      complete(ExchangeOutcome.Kind.UPSTREAM_ERROR, cause);
    }
  }

  private boolean replayable() {
    HttpMethod m = request.method();
    return HttpMethod.GET.equals(m)
        || HttpMethod.HEAD.equals(m)
        || HttpMethod.OPTIONS.equals(m)
        || HttpMethod.TRACE.equals(m);
  }

  private void cancelUpstream() {
    if (backoffTimer != null) {
      backoffTimer.cancel(false);
      backoffTimer = null;
    }
    Future<UpstreamLease> pending = acquiring;
    if (pending != null) {
      // Leaves the pool's queue (or lets the pool hand the new connection to someone else).
      acquiring = null;
      pending.cancel(false);
    }
    UpstreamLease l = lease;
    lease = null;
    if (l != null) {
      l.release(false);
    }
  }

  // ---------------------------------------------------------------- upstream: response

  void upstreamRead(Object msg) {
    if (state == State.TUNNEL) {
      if (msg instanceof ByteBuf) {
        tunnelToClient((ByteBuf) msg);
      } else {
        ReferenceCountUtil.release(msg);
      }
      return;
    }
    if (state != State.PROXYING || lease == null) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof Http2ResetFrame) {
      upstreamReset((Http2ResetFrame) msg);
      return;
    }
    if (!(msg instanceof HttpObject)) {
      // Another HTTP/2 stream frame (an extension): not ours to relay; keep reading.
      ReferenceCountUtil.release(msg);
      lease.requestRead();
      return;
    }
    if (((HttpObject) msg).decoderResult().isFailure()) {
      Throwable cause = ((HttpObject) msg).decoderResult().cause();
      ReferenceCountUtil.release(msg);
      failUpstream("malformed HTTP response from upstream", cause);
      return;
    }
    if (msg instanceof HttpResponse) {
      HttpResponse response = (HttpResponse) msg;
      int code = response.status().code();
      if (code == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
        onSwitchingProtocols(response);
      } else if (code < 200) {
        onInterim(response);
      } else if (responseStarted) {
        ReferenceCountUtil.release(msg);
        failUpstream("second response from upstream", null);
      } else {
        onResponseHead(response);
      }
      return;
    }
    HttpContent content = (HttpContent) msg;
    if (interim != null) {
      // The end of an interim (1xx) response; it goes out as one message.
      FullHttpResponse out =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1,
              interim.status(),
              Unpooled.EMPTY_BUFFER,
              interim.headers(),
              EmptyHttpHeaders.INSTANCE);
      interim = null;
      content.release();
      writeInterim(out);
      return;
    }
    if (!responseStarted) {
      content.release();
      failUpstream("response body without a head from upstream", null);
      return;
    }
    writeToClient(content, content instanceof LastHttpContent);
  }

  private void upstreamReset(Http2ResetFrame reset) {
    Http2Error error = Http2Error.valueOf(reset.errorCode());
    IOException cause = new IOException("upstream reset the stream: " + error);
    if (error == Http2Error.REFUSED_STREAM && !responseStarted && !bodySent && interim == null) {
      // REFUSED_STREAM guarantees the request was not processed (RFC 9113 §8.7).
      connectFailed(cause);
    } else {
      upstreamClosed(cause);
    }
  }

  private void onInterim(HttpResponse response) {
    if (response instanceof FullHttpResponse) {
      writeInterim((FullHttpResponse) response);
    } else {
      interim = response;
      lease.requestRead();
    }
  }

  private void writeInterim(FullHttpResponse response) {
    if (http10) {
      response.release(); // HTTP/1.0 clients do not understand 1xx (RFC 9110 §15.2)
    } else {
      ProxyHeaders.stripResponse(response.headers());
      response.setProtocolVersion(HttpVersion.HTTP_1_1);
      lastWriteNanos = ticker.nanoTime();
      clientCh.writeAndFlush(response).addListener(clientWriteListener);
    }
    if (lease != null) {
      lease.requestRead();
    }
  }

  private void onResponseHead(HttpResponse response) {
    upstreamKeepAlive = HttpUtil.isKeepAlive(response);
    HttpHeaders h = response.headers();
    ProxyHeaders.stripResponse(h);
    response.setProtocolVersion(HttpVersion.HTTP_1_1);
    responseHook(response);
    int code = response.status().code();
    if (protocol == Protocol.HTTP_1_1
        && !HttpUtil.isContentLengthSet(response)
        && ProxyHeaders.mayHaveBody(code, headRequest)) {
      if (response instanceof FullHttpResponse) {
        HttpUtil.setContentLength(
            response, ((FullHttpResponse) response).content().readableBytes());
      } else if (!http10) {
        HttpUtil.setTransferEncodingChunked(response, true);
      }
      // An HTTP/1.0 client reads to the end of the connection.
    }
    keepAliveOrClose(response);
    responseStreamed = !HttpUtil.isContentLengthSet(response);
    status = code;
    responseStarted = true;
    cancel(responseStartTimer);
    responseStartTimer = null;
    writeToClient(response, response instanceof LastHttpContent);
  }

  /**
   * HTTP/1.1 persistence (RFC 9112 §9.3): the connection stays open unless the client asked to
   * close it, the server drains, or the response has no length of its own; then the response says
   * {@code Connection: close} and the connection closes after it.
   */
  private void keepAliveOrClose(HttpResponse response) {
    if (protocol != Protocol.HTTP_1_1) {
      return;
    }
    boolean delimited =
        HttpUtil.isContentLengthSet(response)
            || HttpUtil.isTransferEncodingChunked(response)
            || !ProxyHeaders.mayHaveBody(response.status().code(), headRequest);
    if (!clientKeepAlive || !delimited || px.draining()) {
      closeClientAfter = true;
    }
    if (closeClientAfter) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (http10) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
  }

  private void responseHook(HttpResponse response) {
    try {
      px.policy.onResponseHeaders(this, response);
    } catch (Throwable t) {
      warn("proxy policy onResponseHeaders failed", t);
    }
  }

  private void writeToClient(HttpObject msg, boolean last) {
    lastWriteNanos = ticker.nanoTime();
    if (msg instanceof HttpContent) {
      responseBytes += ((HttpContent) msg).content().readableBytes();
    }
    if (last) {
      responseReceived = true;
      releaseUpstreamIfDone();
      finalWriteIssued = true;
      finalKind = ExchangeOutcome.Kind.PROXIED;
      clientCh.writeAndFlush(msg).addListener(finalWriteListener);
      return;
    }
    clientCh.writeAndFlush(msg).addListener(clientWriteListener);
    sample(clientCh);
    if (lease == null) {
      return;
    }
    if (clientCh.isWritable()) {
      lease.requestRead();
    } else {
      upstreamReadWanted = true;
    }
  }

  /** After the whole response: the connection goes back to the pool if the request is sent too. */
  private void releaseUpstreamIfDone() {
    if (lease == null || !responseReceived) {
      return;
    }
    if (requestSent) {
      UpstreamLease l = lease;
      lease = null;
      l.release(upstreamKeepAlive && upgradeType == null);
    } else if (!lastRequestWriteIssued) {
      // The upstream answered before the whole body: do not send the rest, do not reuse.
      cancelUpstream();
    }
    // Otherwise the last request write is in flight and its listener comes back here.
  }

  // ---------------------------------------------------------------- local answers

  private void respondError(
      HttpResponseStatus status, String text, ExchangeOutcome.Kind kind, Throwable cause) {
    cancelUpstream();
    writeLocal(TextResponses.plain(clientCh.alloc(), status, text), kind, cause);
  }

  private void writeLocal(FullHttpResponse response, ExchangeOutcome.Kind kind, Throwable cause) {
    releaseHeld();
    state = State.LOCAL;
    finalKind = kind;
    finalCause = cause;
    if (!requestComplete && expectContinue) {
      // A client waiting for 100-continue would send its body as the next request.
      closeClientAfter = true;
    }
    keepAliveOrClose(response);
    status = response.status().code();
    responseStarted = true;
    responseBytes += response.content().readableBytes();
    lastWriteNanos = ticker.nanoTime();
    finalWriteIssued = true;
    clientCh.writeAndFlush(response).addListener(finalWriteListener);
  }

  // ---------------------------------------------------------------- timeouts

  private void armTimers() {
    cancelTimers();
    long now = ticker.nanoTime();
    long sinceArrival = now - arrivalNanos;
    long total = timeouts.total().toNanos();
    if (total > 0) {
      totalTimer = schedule(Timer.TOTAL, total - sinceArrival);
    }
    long responseStart = timeouts.responseStart().toNanos();
    if (responseStart > 0 && !responseStarted) {
      responseStartTimer = schedule(Timer.RESPONSE_START, responseStart - sinceArrival);
    }
    long idle = timeouts.idle().toNanos();
    if (idle > 0) {
      idleTimer = schedule(Timer.IDLE, idle - (now - lastWriteNanos));
    }
  }

  private ScheduledFuture<?> schedule(Timer timer, long delayNanos) {
    return loop.schedule(() -> onTimer(timer), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
  }

  private void onTimer(Timer timer) {
    if (state == State.DONE || state == State.TUNNEL) {
      return;
    }
    switch (timer) {
      case TOTAL:
        totalTimer = null;
        timedOut();
        break;
      case RESPONSE_START:
        responseStartTimer = null;
        if (!responseStarted) {
          timedOut();
        }
        break;
      case IDLE:
        idleTimer = null;
        long idle = timeouts.idle().toNanos();
        long since = ticker.nanoTime() - lastWriteNanos;
        if (since >= idle) {
          timedOut();
        } else {
          idleTimer = schedule(Timer.IDLE, idle - since);
        }
        break;
      default:
        throw new IllegalStateException(String.valueOf(timer));
    }
  }

  /**
   * Knative's timeout: 504 with the message if nothing was sent; else the message is appended to a
   * streamed (chunked, or h2 without content-length) response, which then ends, and any other
   * response is cut. The upstream request is cancelled either way.
   */
  private void timedOut() {
    String text = timeouts.message();
    LOG.debug("{} {} timed out", request.method(), request.uri());
    if (!responseStarted) {
      respondError(HttpResponseStatus.GATEWAY_TIMEOUT, text, ExchangeOutcome.Kind.TIMEOUT, null);
      return;
    }
    if (finalWriteIssued) {
      return; // the whole response is on its way already
    }
    cancelUpstream();
    state = State.LOCAL;
    finalKind = ExchangeOutcome.Kind.TIMEOUT;
    if (responseStreamed) {
      ByteBuf tail = ByteBufUtil.writeUtf8(clientCh.alloc(), text);
      responseBytes += tail.readableBytes();
      lastWriteNanos = ticker.nanoTime();
      finalWriteIssued = true;
      clientCh.writeAndFlush(new DefaultLastHttpContent(tail)).addListener(finalWriteListener);
    } else {
      clientCh.close();
      complete(ExchangeOutcome.Kind.TIMEOUT, null);
    }
  }

  private void cancelTimers() {
    cancel(totalTimer);
    cancel(responseStartTimer);
    cancel(idleTimer);
    totalTimer = null;
    responseStartTimer = null;
    idleTimer = null;
  }

  private static void cancel(ScheduledFuture<?> timer) {
    if (timer != null) {
      timer.cancel(false);
    }
  }

  // ---------------------------------------------------------------- tunnel (101)

  private void onSwitchingProtocols(HttpResponse response) {
    String offered = response.headers().get(HttpHeaderNames.UPGRADE);
    if (upgradeType == null) {
      ReferenceCountUtil.release(response);
      failUpstream("upstream switched protocols without being asked", null);
      return;
    }
    if (offered == null || !offered.strip().equalsIgnoreCase(upgradeType)) {
      ReferenceCountUtil.release(response);
      // Go's ReverseProxy text.
      failUpstream(
          "backend tried to switch protocol \""
              + offered
              + "\" when \""
              + upgradeType
              + "\" was requested",
          null);
      return;
    }
    responseHook(response);
    FullHttpResponse out =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            response.status(),
            Unpooled.EMPTY_BUFFER,
            response.headers(),
            EmptyHttpHeaders.INSTANCE);
    ReferenceCountUtil.release(response);
    status = out.status().code();
    responseStarted = true;
    // Tunnels outlive the request timeouts, as hijacked connections do in Knative.
    cancelTimers();
    state = State.TUNNEL;
    lastWriteNanos = ticker.nanoTime();
    toUpstream = new ArrayList<>(2);
    toClient = new ArrayList<>(2);
    clientCh.writeAndFlush(out).addListener(clientWriteListener);
    client.switchToTunnel();
    if (state == State.TUNNEL && lease != null) {
      lease.switchToTunnel();
    }
    if (state != State.TUNNEL) {
      return;
    }
    List<ByteBuf> up = toUpstream;
    List<ByteBuf> down = toClient;
    toUpstream = null;
    toClient = null;
    for (ByteBuf b : up) {
      tunnelToUpstream(b, false);
    }
    for (ByteBuf b : down) {
      tunnelToClient(b, false);
    }
    if (state == State.TUNNEL) {
      pumpTunnelFromClient();
      pumpTunnelFromUpstream();
    }
  }

  void clientTunnelData(ByteBuf data) {
    requestBytes += data.readableBytes();
    tunnelToUpstream(data, true);
  }

  private void tunnelToUpstream(ByteBuf data, boolean pump) {
    if (state != State.TUNNEL || lease == null) {
      data.release();
      return;
    }
    if (toUpstream != null) {
      toUpstream.add(data);
      return;
    }
    lease.channel().writeAndFlush(data).addListener(upstreamWriteListener);
    if (pump) {
      pumpTunnelFromClient();
    }
  }

  private void tunnelToClient(ByteBuf data) {
    responseBytes += data.readableBytes();
    lastWriteNanos = ticker.nanoTime();
    tunnelToClient(data, true);
  }

  private void tunnelToClient(ByteBuf data, boolean pump) {
    if (state != State.TUNNEL) {
      data.release();
      return;
    }
    if (toClient != null) {
      toClient.add(data);
      return;
    }
    clientCh.writeAndFlush(data).addListener(clientWriteListener);
    if (pump) {
      pumpTunnelFromUpstream();
    }
  }

  private void pumpTunnelFromClient() {
    if (state != State.TUNNEL || lease == null) {
      return;
    }
    if (lease.channel().isWritable()) {
      client.requestRead();
    } else {
      clientReadWanted = true;
    }
  }

  private void pumpTunnelFromUpstream() {
    if (state != State.TUNNEL || lease == null) {
      return;
    }
    if (clientCh.isWritable()) {
      lease.requestRead();
    } else {
      upstreamReadWanted = true;
    }
  }

  /** Either side of the tunnel closed: close the other once its pending bytes are flushed. */
  private void endTunnel() {
    UpstreamLease l = lease;
    lease = null;
    if (l != null) {
      l.closeAfterFlush();
    }
    clientCh.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    complete(ExchangeOutcome.Kind.UPGRADED, null);
  }

  // ---------------------------------------------------------------- helpers

  private void hold(HttpContent content) {
    held.add(content);
    heldBytes += content.content().readableBytes();
    peakBufferedBytes = Math.max(peakBufferedBytes, heldBytes);
  }

  private void releaseHeld() {
    HttpContent c;
    while ((c = held.poll()) != null) {
      c.release();
    }
    heldBytes = 0;
  }

  private static void releaseAll(List<ByteBuf> bufs) {
    if (bufs != null) {
      for (ByteBuf b : bufs) {
        b.release();
      }
    }
  }

  private void sample(Channel ch) {
    ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
    if (out != null) {
      peakBufferedBytes = Math.max(peakBufferedBytes, out.totalPendingWriteBytes() + heldBytes);
    }
  }

  private void warn(String what, Throwable t) {
    long held = px.warnLog.tryAcquire();
    if (held >= 0) {
      LOG.warn("{}{}", what, LogLimiter.suffix(held), t);
    }
  }

  /** The request target in origin form: an absolute-form URI loses scheme and authority. */
  static String originForm(String uri) {
    int scheme = uri.indexOf("://");
    if (scheme <= 0 || uri.startsWith("/")) {
      return uri;
    }
    int path = uri.indexOf('/', scheme + 3);
    int query = uri.indexOf('?', scheme + 3);
    if (path < 0 || (query >= 0 && query < path)) {
      return query < 0 ? "/" : "/" + uri.substring(query);
    }
    return uri.substring(path);
  }

  /** Go's dial error text: {@code dial tcp 127.0.0.1:8080: connect: connection refused}. */
  static String dialError(UpstreamTarget target, Throwable cause) {
    String reason;
    if (cause instanceof ConnectTimeoutException) {
      reason = "i/o timeout";
    } else if (cause instanceof ConnectException
        && String.valueOf(cause.getMessage())
            .toLowerCase(java.util.Locale.ROOT)
            .contains("refused")) {
      reason = "connect: connection refused";
    } else {
      reason = describe(cause);
    }
    return "dial tcp " + target.authority() + ": " + reason;
  }

  private static String describe(Throwable cause) {
    if (cause == null) {
      return "connection closed";
    }
    return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
  }
}
