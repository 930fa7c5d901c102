package dev.knetty.autoscaler.kubernetes;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warning Events on revision Deployments: what {@code kubectl describe deployment} shows about a
 * bad annotation, a missing label or a Service Knetty will not overwrite.
 *
 * <p>Deduplicated: a Deployment gets each problem (reason and message) once, not at every update of
 * the Deployment; the same problem is reported again only after it was {@linkplain #resolved
 * resolved} and came back. Only the leader reports (the followers see the same problems); a problem
 * seen while following is reported when this replica starts leading, since the revisions are
 * examined again then. Events are created on the given executor, never on the caller's thread.
 */
final class EventRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

  /** Kubernetes truncates longer messages (and events.k8s.io refuses them). */
  static final int MAX_MESSAGE = 1024;

  private final KubernetesClient client;
  private final Leadership leadership;
  private final String instance;
  private final Executor executor;
  private final Clock clock;

  /** By Deployment UID: each reported reason with its message. */
  private final ConcurrentHashMap<String, Map<String, String>> reported = new ConcurrentHashMap<>();

  private final RateLimitedLog failureLog = new RateLimitedLog(Duration.ofSeconds(30));
  private final AtomicLong sequence = new AtomicLong();

  /**
   * @param instance this replica (the pod name), the Events' reporting instance
   */
  EventRecorder(
      KubernetesClient client,
      Leadership leadership,
      String instance,
      Executor executor,
      Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.leadership = Objects.requireNonNull(leadership, "leadership");
    this.instance = Objects.requireNonNull(instance, "instance");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Reports {@code message} under {@code reason} on {@code d}, unless it already was. */
  void warning(Deployment d, String reason, String message) {
    if (!leadership.leading()) {
      return;
    }
    String uid = d.getMetadata().getUid();
    Map<String, String> byReason = reported.computeIfAbsent(uid, u -> new ConcurrentHashMap<>());
    if (message.equals(byReason.put(reason, message))) {
      return;
    }
    Event event = event(d, reason, message);
    try {
      executor.execute(() -> create(event));
    } catch (RejectedExecutionException e) {
      LOG.debug("Shutting down, dropping event {}", reason);
    }
  }

  /** The problem {@code reason} of {@code d} is gone: report it again if it comes back. */
  void resolved(Deployment d, String reason) {
    Map<String, String> byReason = reported.get(d.getMetadata().getUid());
    if (byReason != null) {
      byReason.remove(reason);
    }
  }

  /** The Deployment {@code uid} is gone. */
  void forget(String uid) {
    reported.remove(uid);
  }

  private Event event(Deployment d, String reason, String message) {
    String now = clock.instant().toString();
    String name = d.getMetadata().getName();
    String text =
        message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE - 3) + "..." : message;
    return new EventBuilder()
        .withNewMetadata()
        // client-go's naming: the object's name and a unique suffix.
        .withName(
            name
                + "."
                + Long.toHexString(clock.millis())
                + Long.toHexString(sequence.incrementAndGet()))
        .withNamespace(d.getMetadata().getNamespace())
        .endMetadata()
        .withInvolvedObject(
            new ObjectReferenceBuilder()
                .withApiVersion("apps/v1")
                .withKind("Deployment")
                .withNamespace(d.getMetadata().getNamespace())
                .withName(name)
                .withUid(d.getMetadata().getUid())
                .withResourceVersion(d.getMetadata().getResourceVersion())
                .build())
        .withType("Warning")
        .withReason(reason)
        .withMessage(text)
        .withCount(1)
        .withFirstTimestamp(now)
        .withLastTimestamp(now)
        .withNewSource()
        .withComponent("knetty-autoscaler")
        .endSource()
        .withReportingComponent("knetty.dev/autoscaler")
        .withReportingInstance(instance)
        .build();
  }

  private void create(Event event) {
    if (!leadership.leading()) {
      return;
    }
    try {
      client.v1().events().resource(event).create();
    } catch (KubernetesClientException e) {
      if (failureLog.tryAcquire()) {
        LOG.warn(
            "Cannot create event {} on {}/{}: {}",
            event.getReason(),
            event.getMetadata().getNamespace(),
            event.getInvolvedObject().getName(),
            e.getMessage());
      }
    }
  }
}
