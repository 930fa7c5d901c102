package dev.knetty.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A load phase in progress; {@link #await()} gives its {@link LoadResult}. Every request completes
 * or times out within {@code requestTimeout} of its intended time, so a run lasts at most {@code
 * warmup + duration + requestTimeout}.
 *
 * <p>Latencies go into an HdrHistogram {@link Recorder} (microseconds, 3 significant digits, up to
 * one hour) from every event loop; a sampler thread takes one interval histogram per second,
 * reports it as an {@link IntervalSample} and adds it to the total.
 */
public final class RunningLoad {

  private static final Logger LOG = LoggerFactory.getLogger(RunningLoad.class);

  /** Largest latency recorded; longer ones are recorded as this. */
  static final long HIGHEST_MICROS = TimeUnit.HOURS.toMicros(1);

  private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Lead time for the lanes to get ready before the first request is due. */
  private static final long START_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private final LoadSpec spec;
  final Bootstrap bootstrap;
  final long startNanos;
  final long measureStartNanos;
  final long sendEndNanos;
  final long timeoutNanos;
  final long scheduledRequests;
  private final double periodNanos;
  final AtomicLong dispatched = new AtomicLong();

  private final String pathAndQuery;
  private final HttpHeaders requestHeaders = new DefaultHttpHeaders();

  private final Recorder recorder = new Recorder(HIGHEST_MICROS, 3);
  private final LongAdder requests = new LongAdder();
  private final LongAdder successes = new LongAdder();
  private final LongAdder warmupRequests = new LongAdder();
  private final AtomicLong errorTotal = new AtomicLong();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final AtomicLong lastCompletionNanos = new AtomicLong(Long.MIN_VALUE);
  private final AtomicInteger lanesRunning;
  private final CompletableFuture<LoadResult> result = new CompletableFuture<>();

  // Used by the sampler thread only.
  private final ScheduledExecutorService sampler;
  private final Consumer<IntervalSample> listener;
  private final Histogram total = new Histogram(HIGHEST_MICROS, 3);
  private final List<IntervalSample> intervals = new ArrayList<>();
  private final ScheduledFuture<?> sampling;
  private Histogram interval;
  private long errorsSampled;

  RunningLoad(
      LoadSpec spec,
      Bootstrap bootstrap,
      List<EventLoop> loops,
      ScheduledExecutorService sampler,
      Consumer<IntervalSample> listener) {
    this.spec = spec;
    this.bootstrap = bootstrap;
    this.sampler = sampler;
    this.listener = listener;
    this.periodNanos = spec.mode() == LoadSpec.Mode.OPEN_LOOP ? 1e9 / spec.rate() : 0;
    this.scheduledRequests = spec.mode() == LoadSpec.Mode.OPEN_LOOP ? spec.scheduledRequests() : 0;
    this.timeoutNanos = spec.requestTimeout().toNanos();
    URI target = spec.target();
    String path =
        target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
    this.pathAndQuery = target.getRawQuery() == null ? path : path + "?" + target.getRawQuery();
    requestHeaders
        .set(
            HttpHeaderNames.HOST,
            target.getPort() < 0 ? target.getHost() : target.getHost() + ":" + target.getPort())
        .set(HttpHeaderNames.USER_AGENT, "knetty-bench");
    spec.headers().forEach(requestHeaders::set);

    List<Lane> lanes = lanes(loops);
    this.lanesRunning = new AtomicInteger(lanes.size());
    this.startNanos = System.nanoTime() + START_DELAY_NANOS;
    this.measureStartNanos = startNanos + spec.warmup().toNanos();
    this.sendEndNanos = measureStartNanos + spec.duration().toNanos();
    this.sampling =
        sampler.scheduleAtFixedRate(
            this::sample,
            measureStartNanos + INTERVAL_NANOS - System.nanoTime(),
            INTERVAL_NANOS,
            TimeUnit.NANOSECONDS);
    for (int i = 0; i < lanes.size(); i++) {
      Lane lane = lanes.get(i);
      loops.get(i).execute(lane::start);
    }
  }

  /** Spreads connections, workers and the wait queue over at most one lane per event loop. */
  private List<Lane> lanes(List<EventLoop> loops) {
    boolean open = spec.mode() == LoadSpec.Mode.OPEN_LOOP;
    int count = Math.min(loops.size(), spec.connections());
    if (!open) {
      count = Math.min(count, spec.concurrency());
    }
    List<Lane> lanes = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int connections = share(spec.connections(), count, i);
      int workers = open ? 0 : share(spec.concurrency(), count, i);
      int streams =
          open
              ? spec.maxStreamsPerConnection()
              : Math.max(spec.maxStreamsPerConnection(), (workers + connections - 1) / connections);
      int queued = open ? share(spec.maxQueued(), count, i) : workers;
      lanes.add(new Lane(this, loops.get(i), i, count, connections, streams, workers, queued));
    }
    return lanes;
  }

  private static int share(int total, int parts, int part) {
    return total / parts + (part < total % parts ? 1 : 0);
  }

  /** The spec being run. */
  public LoadSpec spec() {
    return spec;
  }

  /** Requests handed to a connection or the wait queue so far, warm-up included. */
  public long dispatched() {
    return dispatched.get();
  }

  /** The {@link System#nanoTime()} at which the warm-up ends and the measured part begins. */
  public long measureStartNanos() {
    return measureStartNanos;
  }

  /**
   * Waits until the warm-up is over and the measured part begins (at once if it has), e.g. to start
   * counting the CPU time of the process under test there.
   */
  public void awaitMeasureStart() throws InterruptedException {
    long wait;
    while ((wait = measureStartNanos - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }

  /** Open loop: the {@link System#nanoTime()} at which request {@code index} (from 0) is due. */
  public long intendedNanos(long index) {
    return startNanos + (long) (index * periodNanos);
  }

  /** Completes with the result when every request has completed or timed out. */
  public CompletableFuture<LoadResult> result() {
    return result;
  }

  /**
   * Waits for the result.
   *
   * @throws IllegalStateException if the run failed, or outlived its time bound by a minute
   */
  public LoadResult await() throws InterruptedException {
    long bound = sendEndNanos - System.nanoTime() + timeoutNanos + TimeUnit.MINUTES.toNanos(1);
    try {
      return result.get(Math.max(0, bound), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("load " + spec.name() + ": failed", e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "load " + spec.name() + ": still running after its time bound", e);
    }
  }

  FullHttpRequest newRequest() {
    return new DefaultFullHttpRequest(
        HttpVersion.HTTP_1_1,
        HttpMethod.GET,
        pathAndQuery,
        Unpooled.EMPTY_BUFFER,
        requestHeaders.copy(),
        EmptyHttpHeaders.INSTANCE);
  }

  /** Counts an outcome; {@code error} null means success. Called from any event loop. */
  void record(Exchange exchange, ErrorKind error, int status) {
    if (!exchange.measured) {
      warmupRequests.increment();
      return;
    }
    long now = System.nanoTime();
    lastCompletionNanos.accumulateAndGet(now, Math::max);
    requests.increment();
    if (error == null) {
      successes.increment();
      long micros = (now - exchange.intendedNanos) / 1000;
      recorder.recordValue(Math.max(0, Math.min(micros, HIGHEST_MICROS)));
    } else {
      errors.computeIfAbsent(error.key(status), k -> new LongAdder()).increment();
      errorTotal.incrementAndGet();
    }
  }

  void laneFinished() {
    if (lanesRunning.decrementAndGet() == 0) {
      try {
        sampler.execute(this::finish);
      } catch (RejectedExecutionException e) {
        result.completeExceptionally(new IllegalStateException("load generator closed", e));
      }
    }
  }

  private IntervalSample takeInterval() {
    interval =
        interval == null
            ? recorder.getIntervalHistogram()
            : recorder.getIntervalHistogram(interval);
    total.add(interval);
    long errorsNow = errorTotal.get();
    long intervalErrors = errorsNow - errorsSampled;
    errorsSampled = errorsNow;
    return new IntervalSample(
        (System.nanoTime() - measureStartNanos) / 1e9,
        interval.getTotalCount() + intervalErrors,
        intervalErrors,
        interval.getValueAtPercentile(50) / 1000.0,
        interval.getValueAtPercentile(99) / 1000.0,
        interval.getMaxValue() / 1000.0);
  }

  private void sample() {
    report(takeInterval());
  }

  private void report(IntervalSample s) {
    intervals.add(s);
    try {
      listener.accept(s);
    } catch (RuntimeException e) {
      LOG.warn("load {}: interval listener failed", spec.name(), e);
    }
  }

  private void finish() {
    sampling.cancel(false);
    IntervalSample last = takeInterval();
    if (last.requests() > 0) {
      report(last);
    }
    long end = lastCompletionNanos.get();
    Duration elapsed =
        Duration.ofNanos(
            Math.max(0, (end == Long.MIN_VALUE ? sendEndNanos : end) - measureStartNanos));
    Map<String, Long> errorCounts = new TreeMap<>();
    errors.forEach((key, count) -> errorCounts.put(key, count.sum()));
    result.complete(
        new LoadResult(
            spec,
            requests.sum(),
            successes.sum(),
            errorCounts,
            total,
            elapsed,
            intervals,
            warmupRequests.sum()));
  }
}
