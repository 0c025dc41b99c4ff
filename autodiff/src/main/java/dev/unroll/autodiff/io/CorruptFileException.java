package dev.unroll.autodiff.io;

import java.nio.file.Path;

/** A file whose bytes do not form a valid file of the expected format. The message names the file and the problem. */
public final class CorruptFileException extends RuntimeException {
  private final transient Path file;

  public CorruptFileException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  public CorruptFileException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  /** The offending file. */
  public Path file() {
    return file;
  }
}
