package dev.unroll.experiments.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroundTruthTest {
  /** A fake retrain whose result is a known function of the mask and seed. */
  static double[] fake(boolean[] mask, long seed) {
    double s = 0;
    for (int i = 0; i < mask.length; i++) if (mask[i]) s += i;
    return new double[] {s, seed};
  }

  @Test
  void killedEvaluationResumesWithoutRedoingFinishedRetrains(@TempDir Path root) throws Exception {
    boolean[][] masks = Lds.subsets(10, 0.5, 4, 1);
    AtomicInteger calls = new AtomicInteger();
    // First attempt dies at the third retrain.
    assertThrows(Exception.class, () -> GroundTruth.compute(root, "{\"a\":1}", masks, 2, 2, 1, (j, r) -> 100 * j + r, (m, s) -> {
      if (calls.incrementAndGet() == 3) throw new IllegalStateException("killed");
      return fake(m, s);
    }));
    // Simulate a torn last line from a kill mid-write.
    Path dir;
    try (var d = Files.list(root)) {
      dir = d.findFirst().orElseThrow();
    }
    Files.writeString(dir.resolve("results.csv"), "3,1,4", StandardOpenOption.APPEND);
    AtomicInteger second = new AtomicInteger();
    GroundTruth gt = GroundTruth.compute(root, "{\"a\":1}", masks, 2, 2, 2, (j, r) -> 100 * j + r, (m, s) -> {
      second.incrementAndGet();
      return fake(m, s);
    });
    assertEquals(8 - 2, second.get(), "only the retrains not finished before the kill are redone");
    double[][] mean = gt.meanMeasurements();
    for (int j = 0; j < 4; j++) {
      assertEquals(fake(masks[j], 0)[0], mean[j][0], 0);
      assertEquals(100 * j + 0.5, mean[j][1], 1e-12);
    }
    // A different configuration gets its own cache.
    AtomicInteger third = new AtomicInteger();
    GroundTruth.compute(root, "{\"a\":2}", masks, 2, 2, 1, (j, r) -> r, (m, s) -> {
      third.incrementAndGet();
      return fake(m, s);
    });
    assertEquals(8, third.get());
    assertArrayEquals(masks[0], gt.masks()[0]);
  }
}
