package dev.knetty.common.config;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A problem at a line of a YAML (or JSON) file: the message names the key, the value and what was
 * expected, e.g. {@code containerConcurrency: -1 (expected: an integer >= 0)}. Line 0 means the
 * line is not known.
 */
public final class YamlProblem extends Exception {

  private static final long serialVersionUID = 1L;

  private final int line;

  /** A problem at {@code line} (1-based; 0: unknown). */
  public YamlProblem(int line, String message) {
    this(line, message, null);
  }

  /** A problem at {@code line} (1-based; 0: unknown), caused by {@code cause}. */
  public YamlProblem(int line, String message, Throwable cause) {
    super(message, cause);
    this.line = line;
  }

  /** The 1-based line of the problem, 0 if not known. */
  public int line() {
    return line;
  }

  /** This problem as found in {@code file}: {@code <file> line <N>: <message>}. */
  public IOException inFile(Path file) {
    return new IOException(file + " line " + line + ": " + getMessage(), this);
  }
}
