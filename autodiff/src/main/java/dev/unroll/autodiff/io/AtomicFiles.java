package dev.unroll.autodiff.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes files so that a reader sees either the old content or the complete new content, never a
 * partial file: the bytes go to a temporary file in the target's directory (same file system, so
 * the rename is possible), are forced to disk, and the temporary file is then renamed over the
 * target, atomically where the file system supports it (otherwise by a plain replacing move). A
 * run killed mid-write leaves at most a stray {@code .*.tmp} file beside the target.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Something that writes a file's content to a stream. */
  @FunctionalInterface
  public interface StreamWriter {
    void writeTo(OutputStream out) throws IOException;
  }

  /** Writes {@code bytes} to {@code target} atomically. */
  public static void write(Path target, byte[] bytes) {
    write(target, out -> out.write(bytes));
  }

  /** Copies everything {@code in} yields to {@code target} atomically (the stream is read to its end, not closed). */
  public static void copy(Path target, java.io.InputStream in) {
    write(target, out -> in.transferTo(out));
  }

  /** Writes {@code text} as UTF-8 to {@code target} atomically. */
  public static void writeString(Path target, String text) {
    write(target, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Writes what {@code writer} produces to {@code target} atomically; parent directories are created.
   * On any failure the target is left as it was and the temporary file is removed.
   *
   * @throws UncheckedIOException naming the target when writing, syncing or renaming fails
   */
  public static void write(Path target, StreamWriter writer) {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        // The stream must not close the channel before force(): wrap it in a non-closing adapter.
        OutputStream raw = Channels.newOutputStream(ch);
        BufferedOutputStream out = new BufferedOutputStream(new NonClosing(raw), 1 << 16);
        writer.writeTo(out);
        out.flush();
        ch.force(true);
      }
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
      syncDirectory(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target + ": " + reason(e), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // The write already failed; that error is the one worth reporting.
        }
      }
    }
  }

  /** Makes the rename durable where the platform allows opening a directory (Linux); elsewhere a no-op. */
  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException ignored) {
      // Windows cannot open directories; the file itself was already forced.
    }
  }

  private static final class NonClosing extends OutputStream {
    private final OutputStream out;

    NonClosing(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() {}
  }

  /** What went wrong, in words: the file systems' exceptions carry only the file as their message. */
  public static String reason(IOException e) {
    if (e instanceof java.nio.file.AccessDeniedException a) return "permission denied (" + a.getFile() + ")";
    if (e instanceof java.nio.file.NoSuchFileException n) return "no such file or directory (" + n.getFile() + ")";
    if (e instanceof java.nio.file.FileAlreadyExistsException f) return "a file is in the way (" + f.getFile() + ")";
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) return f.getReason() + " (" + f.getFile() + ")";
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
