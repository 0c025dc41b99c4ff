package dev.unroll.nn.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Opening data files and resources, gzip-compressed or not (recognised by the gzip magic bytes, not the name). */
final class DataFiles {
  private DataFiles() {}

  /** Something that opens a fresh stream over the same bytes. */
  @FunctionalInterface
  interface Opener {
    InputStream open() throws IOException;
  }

  /** An opener for {@code file}. */
  static Opener of(Path file) {
    return () -> Files.newInputStream(file);
  }

  /** An opener for a class-path resource (relative to {@code anchor}'s package unless it starts with '/'). */
  static Opener ofResource(Class<?> anchor, String resource) {
    return () -> {
      InputStream in = anchor.getResourceAsStream(resource);
      if (in == null) throw new NoSuchFileException("class-path resource " + resource + " (relative to " + anchor.getPackageName() + ")");
      return in;
    };
  }

  /** Opens {@code opener}'s stream, buffered and transparently gunzipped; errors name {@code source}. */
  static InputStream open(String source, Opener opener) {
    try {
      BufferedInputStream in = new BufferedInputStream(opener.open(), 1 << 16);
      in.mark(2);
      int b0 = in.read(), b1 = in.read();
      in.reset();
      if (b0 == 0x1f && b1 == 0x8b) return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
      return in;
    } catch (NoSuchFileException e) {
      throw new DataLoadException(source, "file not found", e);
    } catch (IOException e) {
      throw new DataLoadException(source, "cannot read: " + e, e);
    }
  }
}
