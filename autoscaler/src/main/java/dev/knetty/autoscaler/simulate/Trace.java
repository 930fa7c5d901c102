package dev.knetty.autoscaler.simulate;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.knetty.common.config.AutoscalerConfig;
import dev.knetty.common.config.ConfigException;
import dev.knetty.common.config.RevisionAnnotations;
import dev.knetty.common.config.RevisionDefaults;
import dev.knetty.common.config.RevisionScaling;
import dev.knetty.common.config.RevisionSettings;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed and fully validated simulation trace: the revision's settings (line 1) and its events.
 */
record Trace(RevisionScaling scaling, List<Event> events) {

  /** t = 0 is this Unix second (even, so the 2-second delay slots align with it). */
  static final long EPOCH_SECONDS = 1_700_000_000L;

  private static final BigDecimal NANOS = BigDecimal.valueOf(1_000_000_000L);

  /** The largest t that stays within the nanosecond clock. */
  private static final BigDecimal MAX_T = BigDecimal.valueOf(7_000_000_000L);

  private static final JsonFactory JSON =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private static final ObjectMapper MAPPER = new ObjectMapper(JSON);

  /** What happens at a time. */
  enum Kind {
    READY,
    STAT,
    TICK
  }

  /**
   * One event.
   *
   * @param t the time as written in the trace
   * @param nanos the time in epoch nanoseconds
   */
  record Event(
      Kind kind,
      String t,
      long nanos,
      int ready,
      double concurrency,
      double proxiedConcurrency,
      double rps,
      double proxiedRps) {}

  /** A problem with the trace, at a line. */
  static final class TraceException extends Exception {
    private static final long serialVersionUID = 1L;

    final int line;

    TraceException(int line, String message) {
      super(message);
      this.line = line;
    }
  }

  /** Parses and validates every line; throws at the first problem. */
  static Trace parse(List<String> lines) throws TraceException {
    if (lines.isEmpty()) {
      throw new TraceException(1, "empty input (expected: a header line with the settings)");
    }
    RevisionScaling scaling = header(lines.get(0));
    List<Event> events = new ArrayList<>(lines.size() - 1);
    BigDecimal last = BigDecimal.ZERO;
    for (int i = 1; i < lines.size(); i++) {
      int lineNo = i + 1;
      Event e = event(lineNo, lines.get(i));
      BigDecimal t = new BigDecimal(e.t());
      if (t.compareTo(last) < 0) {
        throw new TraceException(
            lineNo, "t: " + e.t() + " is before the previous event (expected: non-decreasing)");
      }
      last = t;
      events.add(e);
    }
    return new Trace(scaling, events);
  }

  private static RevisionScaling header(String line) throws TraceException {
    JsonNode root;
    try {
      root = MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      throw new TraceException(1, "malformed JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new TraceException(
          1, "expected a JSON object with config, annotations, containerConcurrency");
    }
    Map<String, String> config = Map.of();
    Map<String, String> annotations = Map.of();
    int containerConcurrency = 0;
    for (Map.Entry<String, JsonNode> f : root.properties()) {
      switch (f.getKey()) {
        case "config":
          config = strings(f.getKey(), f.getValue());
          break;
        case "annotations":
          annotations = strings(f.getKey(), f.getValue());
          break;
        case "containerConcurrency":
          JsonNode cc = f.getValue();
          if (!cc.isIntegralNumber() || !cc.canConvertToInt() || cc.intValue() < 0) {
            throw new TraceException(
                1, "containerConcurrency: " + cc + " (expected: an integer >= 0)");
          }
          containerConcurrency = cc.intValue();
          break;
        default:
          throw new TraceException(
              1,
              "unknown field "
                  + f.getKey()
                  + " (expected: config, annotations, containerConcurrency)");
      }
    }
    try {
      // containerConcurrency within container-concurrency-max-limit, as the webhook checks.
      RevisionSettings.resolve(
          RevisionDefaults.defaults(), containerConcurrency, null, null, null, null);
      AutoscalerConfig c = AutoscalerConfig.fromMap(config);
      return RevisionScaling.derive(
          c, RevisionAnnotations.parse(annotations, c), containerConcurrency, true);
    } catch (ConfigException e) {
      throw new TraceException(1, e.getMessage());
    }
  }

  private static Map<String, String> strings(String what, JsonNode node) throws TraceException {
    if (!node.isObject()) {
      throw new TraceException(1, what + ": expected an object of string values");
    }
    Map<String, String> map = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> f : node.properties()) {
      if (!f.getValue().isTextual()) {
        throw new TraceException(
            1, what + "." + f.getKey() + ": " + f.getValue() + " (expected: a string)");
      }
      map.put(f.getKey(), f.getValue().textValue());
    }
    return map;
  }

  private static Event event(int lineNo, String line) throws TraceException {
    try (JsonParser p = JSON.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new TraceException(lineNo, "expected a JSON object");
      }
      String t = null;
      BigDecimal tValue = null;
      Kind kind = null;
      int ready = 0;
      double[] stat = new double[4];
      for (JsonToken tok = p.nextToken(); tok != JsonToken.END_OBJECT; tok = p.nextToken()) {
        String field = p.currentName();
        JsonToken v = p.nextToken();
        switch (field) {
          case "t":
            if (v != JsonToken.VALUE_NUMBER_INT && v != JsonToken.VALUE_NUMBER_FLOAT) {
              throw new TraceException(lineNo, "t: " + p.getText() + " (expected: a number)");
            }
            t = p.getText();
            tValue = p.getDecimalValue();
            break;
          case "ready":
            kind = kind(lineNo, kind, Kind.READY);
            if (v != JsonToken.VALUE_NUMBER_INT
                || p.getNumberType() != JsonParser.NumberType.INT
                || p.getIntValue() < 0) {
              throw new TraceException(
                  lineNo, "ready: " + p.getText() + " (expected: an integer >= 0)");
            }
            ready = p.getIntValue();
            break;
          case "stat":
            kind = kind(lineNo, kind, Kind.STAT);
            if (v != JsonToken.START_OBJECT) {
              throw new TraceException(lineNo, "stat: expected an object");
            }
            stat(lineNo, p, stat);
            break;
          case "tick":
            kind = kind(lineNo, kind, Kind.TICK);
            if (v != JsonToken.VALUE_TRUE) {
              throw new TraceException(lineNo, "tick: " + p.getText() + " (expected: true)");
            }
            break;
          default:
            throw new TraceException(
                lineNo,
                "unknown event field " + field + " (expected: t and one of ready, stat, tick)");
        }
      }
      if (p.nextToken() != null) {
        throw new TraceException(lineNo, "trailing content after the JSON object");
      }
      if (t == null) {
        throw new TraceException(lineNo, "missing t");
      }
      if (kind == null) {
        throw new TraceException(lineNo, "unknown event (expected: one of ready, stat, tick)");
      }
      if (tValue.signum() < 0 || tValue.compareTo(MAX_T) > 0) {
        throw new TraceException(lineNo, "t: " + t + " (expected: between 0 and " + MAX_T + ")");
      }
      long nanos =
          EPOCH_SECONDS * 1_000_000_000L
              + tValue.multiply(NANOS).setScale(0, RoundingMode.FLOOR).longValueExact();
      return new Event(kind, t, nanos, ready, stat[0], stat[1], stat[2], stat[3]);
    } catch (JsonProcessingException e) {
      throw new TraceException(lineNo, "malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new TraceException(lineNo, "unreadable: " + e.getMessage());
    }
  }

  private static Kind kind(int lineNo, Kind seen, Kind now) throws TraceException {
    if (seen != null) {
      throw new TraceException(
          lineNo, "more than one event (" + name(seen) + " and " + name(now) + ") in one line");
    }
    return now;
  }

  private static String name(Kind k) {
    return k.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static void stat(int lineNo, JsonParser p, double[] out)
      throws IOException, TraceException {
    for (JsonToken tok = p.nextToken(); tok != JsonToken.END_OBJECT; tok = p.nextToken()) {
      String field = p.currentName();
      JsonToken v = p.nextToken();
      int i;
      switch (field) {
        case "concurrency":
          i = 0;
          break;
        case "proxiedConcurrency":
          i = 1;
          break;
        case "rps":
          i = 2;
          break;
        case "proxiedRps":
          i = 3;
          break;
        default:
          throw new TraceException(
              lineNo,
              "unknown stat field "
                  + field
                  + " (expected: concurrency, proxiedConcurrency, rps, proxiedRps)");
      }
      if (v != JsonToken.VALUE_NUMBER_INT && v != JsonToken.VALUE_NUMBER_FLOAT) {
        throw new TraceException(
            lineNo, "stat." + field + ": " + p.getText() + " (expected: a number)");
      }
      double d = p.getDoubleValue();
      if (!Double.isFinite(d)) {
        throw new TraceException(
            lineNo, "stat." + field + ": " + p.getText() + " (expected: a finite number)");
      }
      out[i] = d;
    }
  }
}
