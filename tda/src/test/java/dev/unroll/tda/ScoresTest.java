package dev.unroll.tda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.io.CorruptFileException;
import dev.unroll.autodiff.io.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoresTest {
  @Test
  void saveWritesAnNpyMatrixAndASidecar(@TempDir Path dir) throws Exception {
    Scores s = new Scores(new double[][] {{1, -2.5, 3e-300}, {Math.PI, 0, -0.0}}, "exact-unroll", Map.of("run", "abc", "stage", "0"));
    Path f = dir.resolve("scores.npy");
    s.save(f);
    Tensor t = Npy.readTensor(f);
    assertArrayEquals(new int[] {2, 3}, t.shape());
    assertArrayEquals(new double[] {1, -2.5, 3e-300, Math.PI, 0, -0.0}, t.toDoubleArray());
    String side = Files.readString(dir.resolve("scores.json"));
    assertTrue(side.contains("\"method\": \"exact-unroll\"") && side.contains("\"queries\": 2") && side.contains("\"examples\": 3"), side);
    Scores back = Scores.load(f);
    assertEquals("exact-unroll", back.method());
    assertEquals(Map.of("run", "abc", "stage", "0"), back.settings());
    for (int q = 0; q < 2; q++) assertArrayEquals(s.row(q), back.row(q));
  }

  @Test
  void raggedRowsAndBadSidecarsAreRefused(@TempDir Path dir) throws Exception {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Scores(new double[][] {{1, 2}, {3}}, "m", Map.of()));
    assertEquals("score matrix row 1 has 1 entries, row 0 has 2", e.getMessage());
    Path f = dir.resolve("s.npy");
    new Scores(new double[][] {{1}}, "m", Map.of()).save(f);
    Files.writeString(dir.resolve("s.json"), "{\"settings\": {}}");
    CorruptFileException c = assertThrows(CorruptFileException.class, () -> Scores.load(f));
    assertTrue(c.getMessage().contains("s.json"), c.getMessage());
  }
}
