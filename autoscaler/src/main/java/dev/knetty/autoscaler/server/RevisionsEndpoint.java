package dev.knetty.autoscaler.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.knetty.autoscaler.Multiscaler;
import dev.knetty.autoscaler.RevisionSnapshot;
import dev.knetty.autoscaler.SksMode;
import dev.knetty.common.RevisionKey;
import dev.knetty.common.http.AdminHandler;
import dev.knetty.common.http.AdminRequest;
import dev.knetty.common.http.TextResponses;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * {@code GET /revisions} (every autoscaled revision, sorted) and {@code GET
 * /revisions/{namespace}/{name}} (one, or 404): each revision's settings, what the decider observed
 * and decided, and what the KPA made of it. Built on a worker, not the event loop: thousands of
 * revisions take milliseconds.
 */
final class RevisionsEndpoint implements AdminHandler {

  /** The prefix of one revision's path. */
  static final String PREFIX = "/revisions/";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Multiscaler multiscaler;
  private final RevisionCatalog catalog;
  private final DecisionPusher pusher;
  private final RecordingScaler scaler;
  private final Executor worker;

  /** {@code GET /revisions}. */
  record RevisionList(List<RevisionView> revisions) {}

  /**
   * One revision in {@code /revisions}.
   *
   * @param revision {@code namespace/name}
   * @param metric the scaling metric: {@code concurrency} or {@code rps}
   * @param valid whether the last evaluation had data
   * @param observedStable the stable-window average of the metric at the last valid evaluation
   * @param observedPanic the panic-window average
   * @param desiredScale what the decider wants, -1 before its first valid evaluation
   * @param replicas what the KPA wants after bounds and scale-to-zero rules (-1 unknown)
   * @param requestedReplicas the replicas last asked of the scaler (-1 never)
   * @param mode {@code Serve} (traffic to the pods) or {@code Proxy} (through the activators)
   * @param activators Knative's {@code numActivators}
   * @param activatorSubset the connected activators (IPs) that front the revision
   * @param state the PodAutoscaler's {@code Active} condition: Active, Activating or Inactive
   */
  record RevisionView(
      String namespace,
      String name,
      String revision,
      int containerConcurrency,
      boolean reachable,
      Map<String, String> annotations,
      String metric,
      boolean valid,
      double observedStable,
      double observedPanic,
      int desiredScale,
      int replicas,
      int requestedReplicas,
      int excessBurstCapacity,
      boolean panicMode,
      String mode,
      int readyPods,
      int activators,
      List<String> activatorSubset,
      String state) {}

  RevisionsEndpoint(
      Multiscaler multiscaler,
      RevisionCatalog catalog,
      DecisionPusher pusher,
      RecordingScaler scaler,
      Executor worker) {
    this.multiscaler = multiscaler;
    this.catalog = catalog;
    this.pusher = pusher;
    this.scaler = scaler;
    this.worker = worker;
  }

  @Override
  public CompletionStage<FullHttpResponse> handle(AdminRequest request) {
    try {
      return CompletableFuture.supplyAsync(() -> answer(request), worker);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.completedFuture(
          TextResponses.of(
              request.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE, "too many requests"));
    }
  }

  private FullHttpResponse answer(AdminRequest request) {
    String path = request.path();
    if (!path.startsWith(PREFIX)) {
      List<RevisionView> all = new ArrayList<>();
      for (RevisionSnapshot s : multiscaler.snapshots()) {
        view(s).ifPresent(all::add);
      }
      return json(request, new RevisionList(all));
    }
    Optional<RevisionView> one = Optional.empty();
    try {
      RevisionKey key = RevisionKey.parse(path.substring(PREFIX.length()));
      one = multiscaler.snapshot(key).flatMap(this::view);
    } catch (IllegalArgumentException e) {
      // not a namespace/name: no such revision
    }
    return one.isPresent()
        ? json(request, one.get())
        : TextResponses.of(request.alloc(), HttpResponseStatus.NOT_FOUND, "no such revision");
  }

  private Optional<RevisionView> view(RevisionSnapshot s) {
    RevisionKey key = s.key();
    RevisionCatalog.Applied applied = catalog.applied(key);
    if (applied == null) {
      return Optional.empty(); // removed meanwhile
    }
    RevisionSpec spec = applied.spec();
    return Optional.of(
        new RevisionView(
            key.namespace(),
            key.name(),
            key.toString(),
            spec.containerConcurrency(),
            spec.reachable(),
            spec.annotations(),
            applied.scaling().decider().metric().value(),
            s.valid(),
            s.observedStable(),
            s.observedPanic(),
            s.desiredScale(),
            s.replicas(),
            scaler.requested(key),
            s.excessBurstCapacity(),
            s.panicMode(),
            s.mode() == SksMode.SERVE ? "Serve" : "Proxy",
            s.readyPods(),
            s.activators(),
            pusher.subset(key),
            s.active()));
  }

  private static FullHttpResponse json(AdminRequest request, Object body) {
    ByteBuf buf = request.alloc().buffer();
    try (OutputStream out = new ByteBufOutputStream(buf)) {
      JSON.writeValue(out, body);
      out.write('\n');
    } catch (IOException e) {
      buf.release();
      throw new UncheckedIOException(e);
    }
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, buf);
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, buf.readableBytes());
    return response;
  }
}
