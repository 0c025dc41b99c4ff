package dev.unroll.experiments.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.unroll.tda.Scores;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaveOneOutTest {
  static final int N = 40, Q = 4;

  /** Exact ridge retraining plus a per-seed offset common to every mask, which pairing must cancel. */
  static GroundTruth.Retrainer retrainer(Ridge ridge, AtomicInteger calls) {
    return (mask, seed) -> {
      calls.incrementAndGet();
      double[] f = ridge.measure(ridge.fit(mask));
      for (int q = 0; q < f.length; q++) f[q] += 0.25 * ((seed - Retrains.SEED_BASE) % 3);
      return f;
    };
  }

  @Test
  void actualEffectsAreTheClosedFormLeaveOneOutAndExactScoresCorrelatePerfectly(@TempDir Path root) throws Exception {
    Ridge ridge = new Ridge(N, Q, 3, 0.5, 3);
    double[][] exact = ridge.exactLoo();
    double[][] flipped = new double[Q][N];
    for (int q = 0; q < Q; q++) for (int m = 0; m < N; m++) flipped[q][m] = -exact[q][m];
    Map<String, Scores> scores = new LinkedHashMap<>();
    scores.put("exact", Scores.pairwise("exact", exact, Map.of()));
    scores.put("wrong sign", Scores.pairwise("wrong sign", flipped, Map.of()));
    AtomicInteger calls = new AtomicInteger();
    LeaveOneOut.Options o = new LeaveOneOut.Options(12, 3, 2, 5);
    LeaveOneOut.Result r = LeaveOneOut.run(root, "{\"ridge\":1}", N, Q, scores, o, retrainer(ridge, calls));
    assertEquals((12 + 1) * 3, calls.get(), "one retrain per left-out point and seed, plus the full set");
    assertArrayEquals(LeaveOneOut.sample(N, 12, 5), r.points());
    for (int q = 0; q < Q; q++) for (int s = 0; s < 12; s++) assertEquals(exact[q][r.points()[s]], r.actual()[q][s], 1e-10, "query " + q + ", point " + r.points()[s]);
    assertEquals(1.0, r.methods().get("exact").pearson().mean(), 1e-9);
    assertEquals(1.0, r.methods().get("exact").spearman().mean(), 1e-12);
    assertEquals(-1.0, r.methods().get("wrong sign").pearson().mean(), 1e-9);
    // A second run finds everything in the cache.
    LeaveOneOut.run(root, "{\"ridge\":1}", N, Q, scores, o, retrainer(ridge, calls));
    assertEquals((12 + 1) * 3, calls.get());
  }

  @Test
  void sampleRejectsImpossibleSizes() {
    assertThrows(IllegalArgumentException.class, () -> LeaveOneOut.sample(10, 11, 0));
    assertThrows(IllegalArgumentException.class, () -> LeaveOneOut.sample(10, 1, 0));
    assertEquals(10, java.util.Arrays.stream(LeaveOneOut.sample(10, 10, 0)).distinct().count());
  }

  @Test
  void constantScoresHaveNoCorrelation() {
    LeaveOneOut.Correlation c = LeaveOneOut.correlate("flat", new double[][] {{1, 1, 1, 1}, {1, 2, 3, 4}}, new int[] {0, 1, 2}, new double[][] {{1, 2, 3}, {3, 1, 2}}, 0);
    assertEquals(Double.NaN, c.pearson().perQuery()[0]);
    // Query 1: τ = (1, 2, 3) against (3, 1, 2): Pearson −0.5 by hand.
    assertEquals(-0.5, c.pearson().perQuery()[1], 1e-12);
    assertEquals(-0.5, c.pearson().mean(), 1e-12);
  }
}
