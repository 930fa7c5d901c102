package dev.knetty.autoscaler;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A single-threaded scheduler and clock for tests: nothing runs until the test advances the clock
 * ({@link #advance}) or runs what is due ({@link #runDue}); tasks run in due order, each with the
 * clock set to its due time.
 */
public final class ManualScheduler extends AbstractExecutorService
    implements ScheduledExecutorService, InstantSource {

  private final PriorityQueue<Task<?>> queue = new PriorityQueue<>();
  private long nowNanos;
  private long sequence;
  private boolean shutdown;

  public ManualScheduler(long startNanos) {
    this.nowNanos = startNanos;
  }

  @Override
  public synchronized Instant instant() {
    return Instant.ofEpochSecond(0, nowNanos);
  }

  public synchronized long nanos() {
    return nowNanos;
  }

  /** Runs everything due now (and what that schedules for now). */
  public void runDue() {
    advanceTo(nanos());
  }

  /** Moves the clock forward by {@code d}, running due tasks in order. */
  public void advance(Duration d) {
    advanceTo(nanos() + d.toNanos());
  }

  /** Moves the clock to {@code target}, running due tasks in order. */
  public void advanceTo(long target) {
    while (true) {
      Task<?> next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.due > target) {
          nowNanos = Math.max(nowNanos, target);
          return;
        }
        queue.poll();
        nowNanos = Math.max(nowNanos, next.due);
      }
      next.run();
    }
  }

  /** Tasks waiting, cancelled ones excluded. */
  synchronized List<Long> pendingDueTimes() {
    List<Long> due = new ArrayList<>();
    for (Task<?> t : queue) {
      if (!t.isCancelled()) {
        due.add(t.due);
      }
    }
    due.sort(null);
    return due;
  }

  @Override
  public void execute(Runnable command) {
    schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return enqueue(
        new Task<>(
            () -> {
              command.run();
              return null;
            },
            delay(delay, unit),
            0));
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return enqueue(new Task<>(callable, delay(delay, unit), 0));
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    return enqueue(
        new Task<>(
            () -> {
              command.run();
              return null;
            },
            delay(initialDelay, unit),
            unit.toNanos(period)));
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    return scheduleAtFixedRate(command, initialDelay, delay, unit);
  }

  private synchronized long delay(long delay, TimeUnit unit) {
    return nowNanos + Math.max(0, unit.toNanos(delay));
  }

  private synchronized <V> Task<V> enqueue(Task<V> task) {
    if (shutdown) {
      throw new java.util.concurrent.RejectedExecutionException("shut down");
    }
    queue.add(task);
    return task;
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
  }

  @Override
  public synchronized List<Runnable> shutdownNow() {
    shutdown = true;
    List<Runnable> left = new ArrayList<>(queue);
    queue.clear();
    return left;
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown && queue.isEmpty();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return isTerminated();
  }

  private final class Task<V> implements ScheduledFuture<V>, Runnable {
    final Callable<V> callable;
    final long period;
    final long seq;
    long due;
    boolean cancelled;
    boolean done;
    V result;
    Throwable failure;

    Task(Callable<V> callable, long due, long period) {
      this.callable = callable;
      this.due = due;
      this.period = period;
      synchronized (ManualScheduler.this) {
        this.seq = sequence++;
      }
    }

    @Override
    public void run() {
      if (cancelled) {
        return;
      }
      try {
        result = callable.call();
      } catch (Exception e) {
        failure = e;
        done = true;
        return;
      }
      if (period > 0 && !cancelled) {
        due += period;
        synchronized (ManualScheduler.this) {
          queue.add(this);
        }
      } else {
        done = true;
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(due - nanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      Task<?> t = (Task<?>) o;
      int c = Long.compare(due, t.due);
      return c != 0 ? c : Long.compare(seq, t.seq);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      cancelled = true;
      synchronized (ManualScheduler.this) {
        queue.remove(this);
      }
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public V get() throws ExecutionException {
      if (failure != null) {
        throw new ExecutionException(failure);
      }
      return result;
    }

    @Override
    public V get(long timeout, TimeUnit unit) throws ExecutionException {
      return get();
    }
  }
}
