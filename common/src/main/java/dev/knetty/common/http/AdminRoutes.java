package dev.knetty.common.http;

import io.netty.handler.codec.http.HttpMethod;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * An immutable table of method + path to handler, with the {@code Allow} value per path. A path
 * ending in {@code /*} is a prefix route: it matches every longer path starting with what comes
 * before the {@code *}, unless an exact route or a longer prefix matches.
 */
final class AdminRoutes {

  /** The suffix that makes a route a prefix route. */
  static final String PREFIX_SUFFIX = "/*";

  private final Map<String, Map<HttpMethod, AdminHandler>> byPath;
  private final Map<String, String> allowByPath;

  /** Prefixes (without the {@code *}), longest first. */
  private final List<String> prefixes;

  AdminRoutes(Map<String, Map<HttpMethod, AdminHandler>> routes) {
    Map<String, Map<HttpMethod, AdminHandler>> copy = new LinkedHashMap<>();
    Map<String, String> allow = new LinkedHashMap<>();
    routes.forEach(
        (path, methods) -> {
          copy.put(path, Map.copyOf(methods));
          Set<HttpMethod> allowed = new LinkedHashSet<>(methods.keySet());
          if (allowed.contains(HttpMethod.GET)) {
            allowed.add(HttpMethod.HEAD);
          }
          allow.put(
              path,
              allowed.stream().map(HttpMethod::name).sorted().collect(Collectors.joining(", ")));
        });
    this.byPath = Map.copyOf(copy);
    this.allowByPath = Map.copyOf(allow);
    this.prefixes =
        copy.keySet().stream()
            .filter(p -> p.endsWith(PREFIX_SUFFIX))
            .map(p -> p.substring(0, p.length() - 1))
            .sorted(Comparator.comparingInt(String::length).reversed())
            .toList();
  }

  /** The route {@code path} falls under: itself, the longest matching prefix route, or null. */
  private String route(String path) {
    if (byPath.containsKey(path)) {
      return path;
    }
    for (String prefix : prefixes) {
      if (path.length() > prefix.length() && path.startsWith(prefix)) {
        return prefix + "*";
      }
    }
    return null;
  }

  /**
   * The handler for {@code method} on {@code path}, or {@code null}. HEAD falls back to the GET
   * handler; the codec then sends the headers only.
   */
  AdminHandler find(HttpMethod method, String path) {
    String route = route(path);
    Map<HttpMethod, AdminHandler> methods = route == null ? null : byPath.get(route);
    if (methods == null) {
      return null;
    }
    AdminHandler handler = methods.get(method);
    if (handler == null && HttpMethod.HEAD.equals(method)) {
      handler = methods.get(HttpMethod.GET);
    }
    return handler;
  }

  /** The {@code Allow} header value for {@code path}, or {@code null} if no route has it. */
  String allow(String path) {
    String route = route(path);
    return route == null ? null : allowByPath.get(route);
  }
}
