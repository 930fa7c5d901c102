package dev.knetty.activator;

import dev.knetty.common.RevisionKey;
import io.netty.handler.codec.http.HttpRequest;
import java.util.Objects;

/**
 * Tells which revision a request is for (Knative's {@code ContextHandler}). Pluggable: local mode
 * adds a fallback for a bare {@code <name>} Host or a single revision with {@link #orElse}.
 * Implementations are called on event loops: they must not block.
 */
@FunctionalInterface
public interface RevisionResolver {

  /** The revision {@code request} names, or {@code null} if it names none. */
  RevisionKey resolve(HttpRequest request);

  /** This resolver, and {@code fallback} for requests it cannot place. */
  default RevisionResolver orElse(RevisionResolver fallback) {
    Objects.requireNonNull(fallback, "fallback");
    return request -> {
      RevisionKey key = resolve(request);
      return key != null ? key : fallback.resolve(request);
    };
  }

  /**
   * Knative's lookup, extended: the headers {@code Knetty-Revision} and {@code Knetty-Namespace},
   * else Knative's {@code Knative-Serving-Revision} and {@code Knative-Serving-Namespace} (a pair
   * counts only when both are set), else the Host {@code <name>.<namespace>}, {@code
   * <name>.<namespace>.svc} or {@code <name>.<namespace>.svc.<clusterDomain>}, with any port.
   */
  static RevisionResolver knative(String clusterDomain) {
    return new KnativeRevisionResolver(clusterDomain);
  }
}
