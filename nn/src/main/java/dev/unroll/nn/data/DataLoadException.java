package dev.unroll.nn.data;

/**
 * A data file that cannot be loaded. The message starts with where the problem is, compiler-style:
 * {@code file:line:column: problem}, {@code file:line: problem} or {@code file: problem}.
 */
public final class DataLoadException extends RuntimeException {
  private final String source;
  private final long line;
  private final int column;

  /** A problem in {@code source} as a whole (line and column unknown). */
  public DataLoadException(String source, String problem) {
    this(source, 0, 0, problem, null);
  }

  public DataLoadException(String source, String problem, Throwable cause) {
    this(source, 0, 0, problem, cause);
  }

  /** A problem on 1-based line {@code line} of {@code source}. */
  public DataLoadException(String source, long line, String problem) {
    this(source, line, 0, problem, null);
  }

  /** A problem at 1-based line {@code line}, 1-based column (cell) {@code column} of {@code source}. */
  public DataLoadException(String source, long line, int column, String problem) {
    this(source, line, column, problem, null);
  }

  private DataLoadException(String source, long line, int column, String problem, Throwable cause) {
    super(source + (line > 0 ? ":" + line : "") + (column > 0 ? ":" + column : "") + ": " + problem, cause);
    this.source = source;
    this.line = line;
    this.column = column;
  }

  /** The file or resource. */
  public String source() {
    return source;
  }

  /** 1-based line, 0 when not known. */
  public long line() {
    return line;
  }

  /** 1-based column (cell), 0 when not known. */
  public int column() {
    return column;
  }
}
