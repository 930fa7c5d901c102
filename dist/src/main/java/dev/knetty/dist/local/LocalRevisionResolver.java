package dev.knetty.dist.local;

import dev.knetty.activator.RevisionResolver;
import dev.knetty.common.RevisionKey;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which local revision a request is for. The activator's usual lookup comes first (the {@code
 * Knetty-Revision}/{@code Knetty-Namespace} and Knative's routing headers, a {@code
 * <name>.<namespace>[.svc[.<domain>]]} Host); then, for Hosts a browser or curl sends on one
 * machine: {@code <name>} and {@code <name>.localhost} (when one namespace has such a revision),
 * {@code <name>.<namespace>.localhost}; and when there is only one revision, any other request is
 * for it ({@code curl localhost:8080/}). A Host that names a revision that does not exist is not
 * redirected to the only one: it gets the activator's 404 naming it.
 */
final class LocalRevisionResolver implements RevisionResolver {

  private static final String LOCALHOST = "localhost";

  private final RevisionResolver knative;
  private final Set<RevisionKey> revisions;
  private final Map<String, RevisionKey> byName = new HashMap<>();
  private final RevisionKey only;

  /**
   * @param revisions the revisions local mode runs
   * @param clusterDomain the domain of {@code <name>.<namespace>.svc.<domain>} Hosts
   */
  LocalRevisionResolver(Collection<RevisionKey> revisions, String clusterDomain) {
    this.knative = RevisionResolver.knative(clusterDomain);
    this.revisions = Set.copyOf(revisions);
    Set<String> ambiguous = new HashSet<>();
    for (RevisionKey key : this.revisions) {
      if (byName.putIfAbsent(key.name(), key) != null) {
        ambiguous.add(key.name());
      }
    }
    ambiguous.forEach(byName::remove);
    this.only = this.revisions.size() == 1 ? this.revisions.iterator().next() : null;
  }

  @Override
  public RevisionKey resolve(HttpRequest request) {
    RevisionKey key = knative.resolve(request);
    if (key != null && revisions.contains(key)) {
      return key;
    }
    RevisionKey local = fromLocalHost(request.headers().get(HttpHeaderNames.HOST));
    if (local != null && revisions.contains(local)) {
      return local;
    }
    RevisionKey named = local != null ? local : key;
    return named != null ? named : only;
  }

  /**
   * {@code <name>.<namespace>.localhost}, {@code <name>.localhost} (the namespace that has such a
   * revision, else {@code default}), or a bare {@code <name>} of a revision; else null.
   */
  private RevisionKey fromLocalHost(String host) {
    if (host == null || host.isEmpty() || host.charAt(0) == '[') {
      return null; // none, or an IPv6 literal
    }
    int colon = host.lastIndexOf(':');
    String h = (colon >= 0 ? host.substring(0, colon) : host).toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1); // a fully qualified name
    }
    if (!h.endsWith("." + LOCALHOST)) {
      return h.indexOf('.') < 0 ? byName.get(h) : null;
    }
    String[] labels = h.substring(0, h.length() - LOCALHOST.length() - 1).split("\\.", -1);
    for (String label : labels) {
      if (!RevisionKey.isDnsLabel(label)) {
        return null;
      }
    }
    if (labels.length == 1) {
      RevisionKey key = byName.get(labels[0]);
      return key != null ? key : new RevisionKey(LocalFile.DEFAULT_NAMESPACE, labels[0]);
    }
    return labels.length == 2 ? new RevisionKey(labels[1], labels[0]) : null;
  }
}
