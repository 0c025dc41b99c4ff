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

  @Test
  void aWriteBlockedByAFileWhereItsFolderShouldBeSaysSo() throws Exception {
    Path blocker = dir.resolve("not-a-folder");
    AtomicFiles.writeString(blocker, "x");
    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> AtomicFiles.writeString(blocker.resolve("c.txt"), "y"));
    assertEquals(true, e.getMessage().startsWith("cannot write " + blocker.resolve("c.txt") + ": a file is in the way (" + blocker + ")"), e.getMessage());
    assertEquals("no such file or directory (/gone)", AtomicFiles.reason(new java.nio.file.NoSuchFileException("/gone")));
    assertEquals("permission denied (/locked)", AtomicFiles.reason(new java.nio.file.AccessDeniedException("/locked")));
    assertEquals("disk on fire", AtomicFiles.reason(new IOException("disk on fire")));
  }
}
