package dev.knetty.dist.local;

/** A local-mode file that cannot be used: the message names the problem, {@link #line()} where. */
final class LocalFileException extends Exception {

  private static final long serialVersionUID = 1L;

  private final int line;

  LocalFileException(String message, int line) {
    super(message);
    this.line = line;
  }

  LocalFileException(String message, int line, Throwable cause) {
    super(message, cause);
    this.line = line;
  }

  /** The line of the problem, from 1; 0 when it is not about a line. */
  int line() {
    return line;
  }
}
