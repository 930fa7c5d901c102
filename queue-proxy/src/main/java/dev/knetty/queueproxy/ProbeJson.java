package dev.knetty.queueproxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes {@code SERVING_READINESS_PROBE}: Knative's JSON of a Kubernetes {@code Probe}, or a JSON
 * array of them (multi-container probing). Uses Jackson's streaming parser only: databind would
 * cost the sidecar tens of milliseconds of start-up for one small object.
 */
final class ProbeJson {

  private ProbeJson() {}

  private static final String DEFAULT_HOST = "127.0.0.1";

  /**
   * The probes in {@code json}.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  static List<ReadinessProbe> parse(String json) {
    Object tree;
    try (JsonParser parser = new JsonFactory().createParser(json)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw new IllegalArgumentException("empty document");
      }
      tree = value(parser, first);
      if (parser.nextToken() != null) {
        throw new IllegalArgumentException("trailing data after the probe");
      }
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    List<ReadinessProbe> probes = new ArrayList<>();
    if (tree instanceof List) {
      List<?> list = (List<?>) tree;
      if (list.isEmpty()) {
        throw new IllegalArgumentException("an empty list of probes");
      }
      for (int i = 0; i < list.size(); i++) {
        probes.add(probe(object(list.get(i), "[" + i + "]")));
      }
    } else {
      probes.add(probe(object(tree, "probe")));
    }
    return List.copyOf(probes);
  }

  private static ReadinessProbe probe(Map<String, Object> p) {
    List<ReadinessProbe.Action> actions = new ArrayList<>();
    Map<String, Object> http = optionalObject(p, "httpGet");
    if (http != null) {
      actions.add(httpGet(http));
    }
    Map<String, Object> tcp = optionalObject(p, "tcpSocket");
    if (tcp != null) {
      actions.add(new ReadinessProbe.TcpSocket(host(tcp, "tcpSocket"), port(tcp, "tcpSocket")));
    }
    Map<String, Object> grpc = optionalObject(p, "grpc");
    if (grpc != null) {
      actions.add(
          new ReadinessProbe.Grpc(
              DEFAULT_HOST, port(grpc, "grpc"), string(grpc, "service", "grpc.service", "")));
    }
    if (p.get("exec") != null) {
      throw new IllegalArgumentException(
          "exec probes run in the user container (expected: httpGet, tcpSocket or grpc)");
    }
    if (actions.size() != 1) {
      throw new IllegalArgumentException(
          actions.size() + " handlers (expected: exactly one of httpGet, tcpSocket, grpc)");
    }
    return new ReadinessProbe(
        actions.get(0),
        integer(p, "periodSeconds", 0),
        integer(p, "timeoutSeconds", 0),
        // Knative defaults successThreshold 0 to 1.
        Math.max(1, integer(p, "successThreshold", 1)));
  }

  private static ReadinessProbe.HttpGet httpGet(Map<String, Object> h) {
    String scheme = string(h, "scheme", "httpGet.scheme", "HTTP");
    boolean https;
    if ("HTTP".equalsIgnoreCase(scheme)) {
      https = false;
    } else if ("HTTPS".equalsIgnoreCase(scheme)) {
      https = true;
    } else {
      throw new IllegalArgumentException(
          "httpGet.scheme: " + scheme + " (expected: HTTP or HTTPS)");
    }
    List<ReadinessProbe.Header> headers = new ArrayList<>();
    Object list = h.get("httpHeaders");
    if (list != null) {
      if (!(list instanceof List)) {
        throw new IllegalArgumentException("httpGet.httpHeaders: " + list + " (expected: a list)");
      }
      for (Object item : (List<?>) list) {
        Map<String, Object> header = object(item, "httpGet.httpHeaders[]");
        headers.add(
            new ReadinessProbe.Header(
                string(header, "name", "httpGet.httpHeaders[].name", ""),
                string(header, "value", "httpGet.httpHeaders[].value", "")));
      }
    }
    return new ReadinessProbe.HttpGet(
        https,
        host(h, "httpGet"),
        port(h, "httpGet"),
        string(h, "path", "httpGet.path", ""),
        headers);
  }

  private static String host(Map<String, Object> action, String where) {
    String host = string(action, "host", where + ".host", "");
    return host.isEmpty() ? DEFAULT_HOST : host;
  }

  /** A Kubernetes IntOrString port; names are not supported (Knative encodes numbers). */
  private static int port(Map<String, Object> action, String where) {
    Object port = action.get("port");
    if (port instanceof Long) {
      long n = (Long) port;
      if (n >= 1 && n <= 65_535) {
        return (int) n;
      }
    } else if (port instanceof String) {
      try {
        int n = Integer.parseInt((String) port);
        if (n >= 1 && n <= 65_535) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw new IllegalArgumentException(where + ".port: " + port + " (expected: 1-65535)");
  }

  private static int integer(Map<String, Object> p, String key, int dflt) {
    Object v = p.get(key);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Long && (Long) v >= 0 && (Long) v <= Integer.MAX_VALUE) {
      return (int) (long) (Long) v;
    }
    throw new IllegalArgumentException(key + ": " + v + " (expected: an integer >= 0)");
  }

  private static String string(Map<String, Object> m, String key, String where, String dflt) {
    Object v = m.get(key);
    if (v == null) {
      return dflt;
    }
    if (v instanceof String) {
      return (String) v;
    }
    throw new IllegalArgumentException(where + ": " + v + " (expected: a string)");
  }

  private static Map<String, Object> optionalObject(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v == null ? null : object(v, key);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Object v, String where) {
    if (v instanceof Map) {
      return (Map<String, Object>) v;
    }
    throw new IllegalArgumentException(where + ": " + v + " (expected: an object)");
  }

  /** A JSON value as maps, lists, strings, longs, doubles, booleans and nulls. */
  private static Object value(JsonParser parser, JsonToken token) throws IOException {
    switch (token) {
      case START_OBJECT:
        Map<String, Object> map = new LinkedHashMap<>();
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_OBJECT; t = parser.nextToken()) {
          String name = parser.currentName();
          map.put(name, value(parser, parser.nextToken()));
        }
        return map;
      case START_ARRAY:
        List<Object> list = new ArrayList<>();
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
          list.add(value(parser, t));
        }
        return list;
      case VALUE_STRING:
        return parser.getText();
      case VALUE_NUMBER_INT:
        return parser.getLongValue();
      case VALUE_NUMBER_FLOAT:
        return parser.getDoubleValue();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw new IllegalArgumentException("unexpected JSON token " + token);
    }
  }
}
