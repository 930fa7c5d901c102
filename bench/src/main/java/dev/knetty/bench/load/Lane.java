package dev.knetty.bench.load;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpRequest;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One event loop's share of a run: its own connections, its own wait queue and its share of the
 * requests (open loop: every {@code count}-th request of the schedule; closed loop: some of the
 * workers). Everything here runs on that event loop, so nothing is locked.
 */
final class Lane {

  private final RunningLoad run;
  private final EventLoop loop;
  private final int count;
  private final Connection[] slots;
  private final int maxStreams;
  private final int workers;
  private final int maxQueued;
  private final ArrayDeque<Exchange> queue = new ArrayDeque<>();
  private int cursor;
  private int connecting;
  private int outstanding;
  private long next;
  private boolean producing = true;
  private boolean finished;

  /**
   * @param index this lane's number, 0 to {@code count - 1}
   * @param connections connections this lane may open
   * @param maxStreams h2c streams per connection
   * @param workers closed loop: requests this lane keeps in flight
   * @param maxQueued requests that may wait for a connection
   */
  Lane(
      RunningLoad run,
      EventLoop loop,
      int index,
      int count,
      int connections,
      int maxStreams,
      int workers,
      int maxQueued) {
    this.run = run;
    this.loop = loop;
    this.count = count;
    this.slots = new Connection[connections];
    this.maxStreams = maxStreams;
    this.workers = workers;
    this.maxQueued = maxQueued;
    this.next = index;
  }

  void start() {
    long delay = run.startNanos - System.nanoTime();
    if (run.spec().mode() == LoadSpec.Mode.OPEN_LOOP) {
      loop.schedule(this::tick, delay, TimeUnit.NANOSECONDS);
    } else {
      loop.schedule(
          () -> {
            for (int i = 0; i < workers && producing; i++) {
              startWorker();
            }
            maybeFinish();
          },
          delay,
          TimeUnit.NANOSECONDS);
      loop.schedule(
          () -> {
            producing = false;
            maybeFinish();
          },
          run.sendEndNanos - System.nanoTime(),
          TimeUnit.NANOSECONDS);
    }
  }

  /** Open loop: sends every request of this lane that is due, then sleeps until the next one. */
  private void tick() {
    long now = System.nanoTime();
    while (next < run.scheduledRequests) {
      long intended = run.intendedNanos(next);
      if (intended > now) {
        loop.schedule(this::tick, intended - now, TimeUnit.NANOSECONDS);
        return;
      }
      run.dispatched.incrementAndGet();
      dispatch(new Exchange(intended, intended >= run.measureStartNanos));
      next += count;
    }
    producing = false;
    maybeFinish();
  }

  /** Closed loop: one more request, unless the phase is over. */
  private void startWorker() {
    long now = System.nanoTime();
    if (now >= run.sendEndNanos || run.dispatched.incrementAndGet() > run.spec().maxRequests()) {
      producing = false;
      return;
    }
    dispatch(new Exchange(now, now >= run.measureStartNanos));
  }

  private void dispatch(Exchange exchange) {
    outstanding++;
    exchange.timeout =
        loop.schedule(
            () -> timedOut(exchange),
            exchange.intendedNanos + run.timeoutNanos - System.nanoTime(),
            TimeUnit.NANOSECONDS);
    Connection connection = readyConnection();
    if (connection != null) {
      connection.send(exchange);
    } else if (queue.size() >= maxQueued) {
      finish(exchange, ErrorKind.QUEUE_FULL, 0);
    } else {
      queue.add(exchange);
      openConnections();
    }
  }

  /** A connection that can take a request now, round robin so h2c streams spread out. */
  private Connection readyConnection() {
    for (int i = 0; i < slots.length; i++) {
      Connection c = slots[(cursor + i) % slots.length];
      if (c != null && c.canSend()) {
        cursor = (cursor + i + 1) % slots.length;
        return c;
      }
    }
    return null;
  }

  /** Opens connections in free slots, one per waiting request not already waiting for one. */
  private void openConnections() {
    for (int i = 0; i < slots.length && connecting < queue.size(); i++) {
      if (slots[i] == null) {
        Connection c =
            run.spec().protocol() == LoadSpec.Protocol.H2C
                ? new H2Connection(this, i, maxStreams)
                : new H1Connection(this, i);
        slots[i] = c;
        connecting++;
        c.connect(run.bootstrap.clone(loop));
      }
    }
  }

  private void timedOut(Exchange exchange) {
    if (exchange.done) {
      return;
    }
    queue.remove(exchange);
    finish(exchange, ErrorKind.TIMEOUT, 0);
    if (exchange.channel != null) {
      // HTTP/1.1: the connection is lost with the request; h2c: the stream is reset.
      exchange.channel.close();
    }
  }

  void connected(Connection c) {
    connecting--;
    if (finished) {
      c.close();
      return;
    }
    pump(c);
  }

  /** A failed connect fails the request that has waited longest for a connection. */
  void connectFailed(Connection c, Throwable cause) {
    connecting--;
    if (slots[c.slot] == c) {
      slots[c.slot] = null;
    }
    Exchange waiting = queue.poll();
    if (waiting != null) {
      finish(waiting, ErrorKind.of(cause), 0);
    }
    openConnections();
  }

  void ready(Connection c) {
    pump(c);
  }

  void closed(Connection c) {
    if (slots[c.slot] == c) {
      slots[c.slot] = null;
    }
    if (!finished) {
      openConnections();
    }
  }

  private void pump(Connection c) {
    while (!queue.isEmpty() && c.canSend()) {
      c.send(queue.poll());
    }
  }

  void completed(Exchange exchange, int status) {
    finish(exchange, status >= 400 ? ErrorKind.STATUS : null, status);
  }

  void failed(Exchange exchange, ErrorKind kind) {
    finish(exchange, kind, 0);
  }

  private void finish(Exchange exchange, ErrorKind error, int status) {
    if (exchange.done) {
      return;
    }
    exchange.done = true;
    exchange.timeout.cancel(false);
    outstanding--;
    run.record(exchange, error, status);
    if (producing && run.spec().mode() == LoadSpec.Mode.CLOSED_LOOP) {
      startWorker();
    }
    maybeFinish();
  }

  private void maybeFinish() {
    if (producing || outstanding > 0 || finished) {
      return;
    }
    finished = true;
    for (Connection c : slots) {
      if (c != null) {
        c.close();
      }
    }
    run.laneFinished();
  }

  FullHttpRequest newRequest() {
    return run.newRequest();
  }
}
