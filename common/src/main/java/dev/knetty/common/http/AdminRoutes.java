package dev.knetty.common.http;

import io.netty.handler.codec.http.HttpMethod;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** An immutable table of method + exact path to handler, with the {@code Allow} value per path. */
final class AdminRoutes {

  private final Map<String, Map<HttpMethod, AdminHandler>> byPath;
  private final Map<String, String> allowByPath;

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
  }

  /**
   * The handler for {@code method} on {@code path}, or {@code null}. HEAD falls back to the GET
   * handler; the codec then sends the headers only.
   */
  AdminHandler find(HttpMethod method, String path) {
    Map<HttpMethod, AdminHandler> methods = byPath.get(path);
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
    return allowByPath.get(path);
  }
}
