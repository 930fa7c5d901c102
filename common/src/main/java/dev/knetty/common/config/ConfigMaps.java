package dev.knetty.common.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Reads the string map of a config map from a file: a {@code .properties} file, or YAML that is
 * either a flat map of keys to scalars or a Kubernetes {@code ConfigMap} manifest (whose {@code
 * data:} is taken). Scalars are taken as written ({@code max-scale: 5} gives {@code "5"}), as
 * {@code kubectl} would insist on quoting them anyway.
 */
public final class ConfigMaps {

  private ConfigMaps() {}

  /**
   * The key/value pairs of {@code file}.
   *
   * @throws ConfigException when the file is not a map of scalars
   * @throws UncheckedIOException when the file cannot be read
   */
  public static Map<String, String> load(Path file) {
    String name = file.getFileName() == null ? "" : file.getFileName().toString();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      if (name.endsWith(".properties")) {
        Properties props = new Properties();
        props.load(reader);
        Map<String, String> map = new LinkedHashMap<>();
        for (String key : props.stringPropertyNames()) {
          map.put(key, props.getProperty(key));
        }
        return map;
      }
      JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(reader);
      return fromYaml(file.toString(), root);
    } catch (IOException e) {
      if (e instanceof JsonProcessingException) {
        throw new ConfigException(
            file.toString(),
            "unparsable YAML (" + ((JsonProcessingException) e).getOriginalMessage() + ")",
            "a YAML map or a ConfigMap manifest");
      }
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static Map<String, String> fromYaml(String where, JsonNode root) {
    if (root == null || root.isMissingNode() || root.isNull()) {
      return Map.of(); // an empty file: all defaults
    }
    if (!root.isObject()) {
      throw new ConfigException(where, root.getNodeType().name(), "a YAML map");
    }
    JsonNode data = root;
    if ("ConfigMap".equals(root.path("kind").asText()) || root.has("data")) {
      data = root.path("data");
      if (data.isMissingNode() || data.isNull()) {
        return Map.of();
      }
      if (!data.isObject()) {
        throw new ConfigException(where + " data", data.getNodeType().name(), "a map");
      }
    }
    Map<String, String> map = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : data.properties()) {
      JsonNode v = e.getValue();
      if (v.isNull()) {
        map.put(e.getKey(), "");
      } else if (v.isValueNode()) {
        map.put(e.getKey(), v.asText());
      } else {
        throw new ConfigException(e.getKey(), v.toString(), "a scalar value");
      }
    }
    return map;
  }
}
