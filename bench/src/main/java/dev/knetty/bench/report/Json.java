package dev.knetty.bench.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Path;

/** Benchmark results as indented JSON (records serialise by their components; nulls omitted). */
public final class Json {

  private static final ObjectWriter WRITER =
      JsonMapper.builder()
          .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, null))
          .build()
          .writerWithDefaultPrettyPrinter();

  private Json() {}

  /** The JSON text of {@code value}. */
  public static String write(Object value) throws IOException {
    return WRITER.writeValueAsString(value);
  }

  /** Writes {@code value} to {@code file}. */
  public static void write(Path file, Object value) throws IOException {
    WRITER.writeValue(file.toFile(), value);
  }
}
