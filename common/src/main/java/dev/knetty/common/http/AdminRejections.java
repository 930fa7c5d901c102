package dev.knetty.common.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The answers an {@link AdminHttpServer} gives by itself, each counted in {@value #METER} (tags
 * {@code server} and {@code reason}), registered once per server.
 */
final class AdminRejections {

  static final String METER = "admin.http.rejected";

  enum Reason {
    // Go's http.NotFound text, as Knative's admin servers answer.
    NOT_FOUND(HttpResponseStatus.NOT_FOUND, "404 page not found"),
    METHOD_NOT_ALLOWED(HttpResponseStatus.METHOD_NOT_ALLOWED, "Method Not Allowed"),
    BAD_REQUEST(HttpResponseStatus.BAD_REQUEST, "Bad Request"),
    URI_TOO_LONG(HttpResponseStatus.REQUEST_URI_TOO_LONG, "Request URI Too Long"),
    HEADERS_TOO_LARGE(
        HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Request Header Fields Too Large"),
    BODY_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "Request Entity Too Large"),
    HANDLER_FAILED(HttpResponseStatus.INTERNAL_SERVER_ERROR, "Internal Server Error");

    final HttpResponseStatus status;
    final String message;

    Reason(HttpResponseStatus status, String message) {
      this.status = status;
      this.message = message;
    }
  }

  private final Map<Reason, Counter> counters = new EnumMap<>(Reason.class);

  AdminRejections(MeterRegistry registry, String serverName) {
    for (Reason reason : Reason.values()) {
      counters.put(
          reason,
          Counter.builder(METER)
              .description("Requests the admin server answered without a handler, or with a 500")
              .tag("server", serverName)
              .tag("reason", reason.name().toLowerCase(Locale.ROOT))
              .register(registry));
    }
  }

  void count(Reason reason) {
    counters.get(reason).increment();
  }
}
