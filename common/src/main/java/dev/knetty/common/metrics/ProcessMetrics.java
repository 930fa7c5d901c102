package dev.knetty.common.metrics;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one Prometheus registry of a Knetty process, with the JVM and Netty meters bound, and the
 * {@code GET /metrics} handler that exposes it. Create one per process in {@code main} and pass
 * {@link #registry()} to every component; close it at exit.
 *
 * <p>Bound at creation: JVM memory, GC, threads, class loading, processor (CPU) and uptime meters,
 * and the buffer metrics of {@link ByteBufAllocator#DEFAULT} when it exposes them (Netty 4.2's
 * adaptive and pooled allocators do). Bind each event-loop group with {@link #bindEventLoops}.
 *
 * <p>Naming conventions for Knetty's own meters are in the package documentation.
 */
public final class ProcessMetrics implements AutoCloseable {

  /** How many scrapes may wait behind the running one before {@code /metrics} answers 503. */
  private static final int MAX_QUEUED_SCRAPES = 4;

  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gcMetrics;
  private final ExecutorService scrapeExecutor;
  private final PrometheusScrapeHandler scrapeHandler;

  private ProcessMetrics() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    bindAllocator(ByteBufAllocator.DEFAULT);
    // One daemon thread: scrapes are serialised (no memory spike from parallel scrapes) and the
    // bounded queue turns a pile-up into 503s instead of a growing backlog.
    scrapeExecutor =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(MAX_QUEUED_SCRAPES),
            new DefaultThreadFactory("knetty-metrics-scrape", true));
    scrapeHandler = new PrometheusScrapeHandler(registry, scrapeExecutor);
  }

  /** A new registry with the JVM and allocator meters bound. */
  public static ProcessMetrics create() {
    return new ProcessMetrics();
  }

  /** The registry every component registers its meters in. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * Binds the pending-task gauge of every event loop of {@code group} ({@code
   * netty.eventexecutor.tasks.pending}, tagged with the loop's thread name) and the group's size
   * ({@code netty.eventexecutor.workers}), both tagged {@code group=groupName}. Call it from a
   * thread outside {@code group}: it waits for each loop's thread to report its name.
   */
  public void bindEventLoops(String groupName, EventLoopGroup group) {
    Objects.requireNonNull(groupName, "groupName");
    Objects.requireNonNull(group, "group");
    new NettyEventExecutorMetrics(group, Tags.of("group", groupName)).bindTo(registry);
  }

  /**
   * Binds the memory gauges of {@code allocator} if it exposes them.
   *
   * @return whether it did
   */
  public boolean bindAllocator(ByteBufAllocator allocator) {
    if (allocator instanceof ByteBufAllocatorMetricProvider) {
      new NettyAllocatorMetrics((ByteBufAllocatorMetricProvider) allocator).bindTo(registry);
      return true;
    }
    return false;
  }

  /**
   * The {@code GET /metrics} handler for an {@link dev.knetty.common.http.AdminHttpServer},
   * scraping on this object's scrape thread.
   */
  public PrometheusScrapeHandler scrapeHandler() {
    return scrapeHandler;
  }

  /** Stops the GC listener and the scrape thread and closes the registry. */
  @Override
  public void close() {
    scrapeExecutor.shutdownNow();
    gcMetrics.close();
    registry.close();
  }
}
