package dev.unroll.autodiff.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void writesAndReplaces() throws Exception {
    Path f = dir.resolve("sub/a.txt");
    AtomicFiles.writeString(f, "first");
    assertEquals("first", Files.readString(f));
    AtomicFiles.write(f, new byte[] {'x', 'y'});
    assertEquals("xy", Files.readString(f));
    AtomicFiles.copy(f, new java.io.ByteArrayInputStream(new byte[] {'s', 't'}));
    assertEquals("st", Files.readString(f));
    try (var s = Files.list(f.getParent())) {
      assertEquals(List.of(f), s.toList(), "no temporary file left");
    }
  }

  @Test
  void failedWriteLeavesOldContentAndNoTemporaryFile() throws Exception {
    Path f = dir.resolve("b.txt");
    AtomicFiles.writeString(f, "old");
    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> AtomicFiles.write(f, out -> {
      out.write("partial".getBytes());
      throw new IOException("disk on fire");
    }));
    assertEquals(true, e.getMessage().contains("b.txt"));
    assertEquals("old", Files.readString(f));
    try (var s = Files.list(dir)) {
      assertEquals(List.of(f), s.toList());
    }
  }
}
