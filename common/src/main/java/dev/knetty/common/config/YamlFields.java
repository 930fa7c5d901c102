package dev.knetty.common.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.knetty.common.RevisionKey;
import java.io.IOException;
import java.util.Map;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Helpers for reading hand-written YAML (or JSON) files with Jackson's streaming parser, so that
 * every problem is a {@link YamlProblem} naming the line, the key, the value and what was expected.
 * Keys may appear once per map ({@link StreamReadFeature#STRICT_DUPLICATE_DETECTION}); scalars are
 * taken as written ({@code min-scale: 1} is {@code "1"} to {@link #string}).
 *
 * <p>The field helpers expect the parser at the value of {@code key} (after {@code nextToken()} on
 * the field name) and report problems at the value's line.
 */
public final class YamlFields {

  private static final YAMLFactory YAML =
      YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private YamlFields() {}

  /**
   * Reads something from a parser; {@link YamlFields#parse} hands it one before the first token.
   */
  @FunctionalInterface
  public interface Reader<T> {
    /** Reads from {@code p}. */
    T read(JsonParser p) throws IOException, YamlProblem;
  }

  /**
   * Parses {@code content} with {@code reader}, turning YAML syntax errors into problems at their
   * line (SnakeYAML's mark, which is where the syntax went wrong, rather than Jackson's location),
   * and what SnakeYAML was reading where it started when that was another line.
   */
  public static <T> T parse(byte[] content, Reader<T> reader) throws YamlProblem {
    try (JsonParser p = YAML.createParser(content)) {
      return reader.read(p);
    } catch (JsonProcessingException e) {
      if (e.getCause() instanceof MarkedYAMLException yaml) {
        Mark mark = yaml.getProblemMark() != null ? yaml.getProblemMark() : yaml.getContextMark();
        int line = mark == null ? 0 : mark.getLine() + 1;
        String message = yaml.getProblem();
        Mark context = yaml.getContextMark();
        if (yaml.getContext() != null && context != null && context.getLine() + 1 != line) {
          // e.g. an unclosed quote: found at the end, started here
          message += " (" + yaml.getContext() + " at line " + (context.getLine() + 1) + ")";
        }
        throw new YamlProblem(line, message, e);
      }
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      // The first line only: the rest is Jackson's source excerpt.
      String message = e.getOriginalMessage().lines().findFirst().orElse("unparsable YAML");
      throw new YamlProblem(line, message, e);
    } catch (IOException e) { // reading from a byte array
      throw new YamlProblem(0, e.toString(), e);
    }
  }

  /** The line of the parser's current token. */
  public static int line(JsonParser p) {
    return p.currentTokenLocation().getLineNr();
  }

  /** A problem at the line of the parser's current token. */
  public static YamlProblem problem(JsonParser p, String message) {
    return new YamlProblem(line(p), message);
  }

  /** {@code unknown key 'key' (expected: expected)}, at the current token. */
  public static YamlProblem unknownKey(JsonParser p, String key, String expected) {
    return problem(p, "unknown key '" + key + "' (expected: " + expected + ")");
  }

  /**
   * The current value for a problem: {@code a list}, {@code a map}, {@code nothing}, or as written.
   */
  public static String describe(JsonParser p) {
    JsonToken t = p.currentToken();
    return describe(t, t == null || t.isStructStart() ? "" : text(p));
  }

  /**
   * A value for a problem: {@code a list}, {@code a map}, {@code nothing} or the scalar as written;
   * for readers that keep a token and its text.
   */
  public static String describe(JsonToken token, String text) {
    if (token == JsonToken.START_ARRAY) {
      return "a list";
    } else if (token == JsonToken.START_OBJECT) {
      return "a map";
    } else if (isEmpty(token, text)) {
      return "nothing";
    }
    return text;
  }

  /** Whether the current value is empty: a YAML key without a value, {@code null} or {@code ""}. */
  public static boolean isEmpty(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    return isEmpty(t, t == JsonToken.VALUE_STRING ? p.getText() : "");
  }

  /** Whether a scalar token with this text is empty (see {@link #isEmpty(JsonParser)}). */
  public static boolean isEmpty(JsonToken token, String text) {
    return token == null
        || token == JsonToken.VALUE_NULL
        || (token == JsonToken.VALUE_STRING && text.isEmpty());
  }

  /** A scalar as written (a number or boolean too); not empty. */
  public static String string(JsonParser p, String key) throws IOException, YamlProblem {
    if (!p.currentToken().isScalarValue() || isEmpty(p)) {
      throw problem(p, key + ": " + describe(p) + " (expected: a string)");
    }
    return p.getText();
  }

  /** A DNS-1123 label, as namespaces and names are. */
  public static String dnsLabel(JsonParser p, String key) throws IOException, YamlProblem {
    String value = p.currentToken().isScalarValue() ? p.getText() : null;
    if (value == null || !RevisionKey.isDnsLabel(value)) {
      throw problem(
          p,
          key
              + ": "
              + describe(p)
              + " (expected: a DNS label: 1 to 63 of a-z, 0-9 and '-', not starting or ending"
              + " with '-')");
    }
    return value;
  }

  /** An integer of at least {@code min} ({@link Long#MIN_VALUE}: any). */
  public static long longValue(JsonParser p, String key, long min) throws IOException, YamlProblem {
    return integer(p, key, min, Long.MAX_VALUE);
  }

  /** An integer of at least {@code min} ({@link Integer#MIN_VALUE}: any) that fits an int. */
  public static int intValue(JsonParser p, String key, int min) throws IOException, YamlProblem {
    return (int) integer(p, key, min, Integer.MAX_VALUE);
  }

  private static long integer(JsonParser p, String key, long min, long max)
      throws IOException, YamlProblem {
    boolean isLong =
        p.currentToken() == JsonToken.VALUE_NUMBER_INT
            && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER;
    if (isLong && p.getLongValue() > max) {
      throw problem(p, key + ": " + describe(p) + " (expected: an integer <= " + max + ")");
    }
    if (!isLong || p.getLongValue() < min) {
      String expected =
          min == Long.MIN_VALUE || min == Integer.MIN_VALUE ? "an integer" : "an integer >= " + min;
      throw problem(p, key + ": " + describe(p) + " (expected: " + expected + ")");
    }
    return p.getLongValue();
  }

  /** {@code true} or {@code false}. */
  public static boolean bool(JsonParser p, String key) throws IOException, YamlProblem {
    if (!p.currentToken().isBoolean()) {
      throw problem(p, key + ": " + describe(p) + " (expected: true or false)");
    }
    return p.getBooleanValue();
  }

  /**
   * Records that {@code item} (e.g. {@code revision default/hello}) is listed at {@code line}; a
   * problem {@code <item> is listed twice (first at line N)} if {@code key} was listed before.
   */
  public static <K> void listedOnce(Map<K, Integer> lines, K key, int line, String item)
      throws YamlProblem {
    Integer first = lines.putIfAbsent(key, line);
    if (first != null) {
      throw new YamlProblem(line, item + " is listed twice (first at line " + first + ")");
    }
  }

  private static String text(JsonParser p) {
    try {
      return p.getText();
    } catch (IOException e) {
      return "?";
    }
  }
}
