package dev.unroll.experiments.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.tda.Scores;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubsetRemovalTest {
  @Test
  void regressionHarmIsTheExactGroupRemovalOfTheTopScoredPoints(@TempDir Path root) throws Exception {
    int n = 50, q = 3;
    Ridge ridge = new Ridge(n, q, 3, 0.5, 11);
    double[][] exact = ridge.exactLoo();
    Map<String, Scores> scores = Map.of("exact LOO", Scores.pairwise("exact LOO", exact, Map.of()));
    AtomicInteger calls = new AtomicInteger();
    SubsetRemoval.Options o = new SubsetRemoval.Options(new double[] {0.02, 0.1, 0.2}, 2, 2, 2, 4);
    SubsetRemoval.Result r = SubsetRemoval.run(root, "{\"ridge\":2}", n, q, scores, false, o, LeaveOneOutTest.retrainer(ridge, calls));
    assertArrayEquals(new int[] {1, 5, 10}, r.counts());
    assertArrayEquals(new int[] {0, 1}, r.queries(), "regression evaluates the first queries");
    assertEquals(2 * (1 + 2 * 3 + 2 * 3), calls.get(), "full set, then 2 queries x 3 sizes for the method and for random, 2 seeds each");
    double[] f0 = ridge.measure(ridge.removeClosedForm(new int[0]));
    SubsetRemoval.Curve c = r.methods().get("exact LOO");
    for (int qi = 0; qi < 2; qi++) {
      int qq = qi;
      // The supporting points of an error: largest τ first, found here by sorting.
      Integer[] order = IntStream.range(0, n).boxed().sorted(Comparator.comparingDouble(m -> -exact[qq][m])).toArray(Integer[]::new);
      for (int i = 0; i < 3; i++) {
        int[] top = Arrays.stream(order, 0, r.counts()[i]).mapToInt(Integer::intValue).toArray();
        double expected = ridge.measure(ridge.removeClosedForm(top))[qq] - f0[qq];
        assertEquals(expected, c.perQuery()[qi][i], 1e-10, "query " + qq + ", k = " + r.counts()[i]);
      }
      // Removing the single point with the largest exact effect harms at least as much as any one point.
      assertEquals(Arrays.stream(exact[qq]).max().orElseThrow(), c.perQuery()[qi][0], 1e-10);
      assertTrue(c.perQuery()[qi][0] >= r.random().perQuery()[qi][0] - 1e-12);
    }
    assertEquals((c.perQuery()[0][2] + c.perQuery()[1][2]) / 2, c.harm()[2], 1e-15);
    assertTrue(Double.isNaN(c.flips()[0]), "no flips for regression");
  }

  /**
   * A classifier whose margin is known in closed form: f_q(mask, r) = c_q − Σ_{i removed} a_qi +
   * e_r with seed noise e_r ∈ {−0.05, 0, 0.05}, so τ = −a (removing i lowers the margin by a_qi).
   */
  @Test
  void classificationCountsMarginDropAndFlipsOnQueriesRightInEverySeed(@TempDir Path root) throws Exception {
    int n = 20, q = 3;
    double[] c = {1.0, 0.5, -0.2};
    double[][] a = new double[q][n];
    dev.unroll.autodiff.Rng rng = new dev.unroll.autodiff.Rng(9);
    for (int k = 0; k < q; k++) for (int i = 0; i < n; i++) a[k][i] = 0.2 * rng.uniform();
    double[][] tau = new double[q][n];
    for (int k = 0; k < q; k++) for (int i = 0; i < n; i++) tau[k][i] = -a[k][i];
    GroundTruth.Retrainer margin = (mask, seed) -> {
      double[] f = new double[q];
      for (int k = 0; k < q; k++) {
        f[k] = c[k] + 0.05 * ((seed - Retrains.SEED_BASE) % 3 - 1);
        for (int i = 0; i < n; i++) if (!mask[i]) f[k] -= a[k][i];
      }
      return f;
    };
    SubsetRemoval.Options o = new SubsetRemoval.Options(new double[] {0.05, 0.15, 0.3}, 5, 3, 1, 1);
    SubsetRemoval.Result r = SubsetRemoval.run(root, "{\"margin\":1}", n, q, Map.of("oracle", Scores.pairwise("oracle", tau, Map.of())), true, o, margin);
    assertArrayEquals(new int[] {0, 1}, r.queries(), "query 2 is wrong in every seed");
    assertArrayEquals(new int[] {1, 3, 6}, r.counts());
    SubsetRemoval.Curve curve = r.methods().get("oracle");
    double[] flips = new double[3];
    for (int qi = 0; qi < 2; qi++) {
      double[] sorted = a[qi].clone();
      Arrays.sort(sorted);
      for (int i = 0; i < 3; i++) {
        double drop = 0;
        for (int t = 0; t < r.counts()[i]; t++) drop += sorted[n - 1 - t];
        assertEquals(drop, curve.perQuery()[qi][i], 1e-12);
        int right = 0;
        for (int e = -1; e <= 1; e++) if (c[qi] - drop + 0.05 * e > 0) right++;
        if (right < 2) flips[i] += 0.5;
      }
    }
    assertArrayEquals(flips, curve.flips(), 1e-15);
    assertTrue(flips[2] > 0, "the test must exercise a flip");
    for (int i = 0; i < 3; i++) assertTrue(curve.harm()[i] >= r.random().harm()[i]);
  }

  @Test
  void noEligibleQueryMeansNoRemovalRetrains(@TempDir Path root) throws Exception {
    AtomicInteger calls = new AtomicInteger();
    GroundTruth.Retrainer wrong = (mask, seed) -> {
      calls.incrementAndGet();
      return new double[] {-0.1, -2};
    };
    SubsetRemoval.Result r = SubsetRemoval.run(root, "{}", 10, 2, Map.of("m", Scores.pairwise("m", new double[2][10], Map.of())), true,
        new SubsetRemoval.Options(new double[] {0.1}, 2, 2, 1, 0), wrong);
    assertEquals(0, r.queries().length);
    assertTrue(r.methods().isEmpty());
    assertEquals(2, calls.get(), "only the full-data retrains");
  }

  @Test
  void countsRoundAndKeepAtLeastOnePoint() {
    assertArrayEquals(new int[] {1, 61, 614}, SubsetRemoval.counts(6144, new double[] {0.0001, 0.01, 0.1}));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> SubsetRemoval.counts(10, new double[] {1.0}));
  }
}
