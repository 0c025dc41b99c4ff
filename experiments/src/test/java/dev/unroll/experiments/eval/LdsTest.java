package dev.unroll.experiments.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Rng;
import org.junit.jupiter.api.Test;

class LdsTest {
  /** An exactly additive ground truth f(S) = c − Σ_{m∈S} τ_m is ranked perfectly: LDS = 1. */
  @Test
  void additiveGroundTruthGivesOne() {
    int n = 40, m = 30;
    Rng r = new Rng(1);
    double[][] tau = new double[2][n];
    for (double[] row : tau) for (int i = 0; i < n; i++) row[i] = r.normal();
    boolean[][] masks = Lds.subsets(n, 0.5, m, 3);
    double[][] actual = new double[m][2];
    for (int j = 0; j < m; j++) for (int q = 0; q < 2; q++) {
      double s = 5;
      for (int i = 0; i < n; i++) if (masks[j][i]) s -= tau[q][i];
      actual[j][q] = s;
    }
    Lds.Result res = Lds.score(tau, masks, actual, 7);
    assertEquals(1.0, res.mean(), 1e-12);
    // Reversing the sign convention must give -1: the orientation is tested, not assumed.
    double[][] neg = new double[2][n];
    for (int q = 0; q < 2; q++) for (int i = 0; i < n; i++) neg[q][i] = -tau[q][i];
    assertEquals(-1.0, Lds.score(neg, masks, actual, 7).mean(), 1e-12);
  }

  @Test
  void subsetsHaveExactSizeAndAreSeeded() {
    boolean[][] a = Lds.subsets(101, 0.5, 5, 9), b = Lds.subsets(101, 0.5, 5, 9);
    for (int j = 0; j < 5; j++) {
      int c = 0;
      for (boolean x : a[j]) c += x ? 1 : 0;
      assertEquals(50, c);
      assertTrue(java.util.Arrays.equals(a[j], b[j]));
    }
  }

  @Test
  void bootstrapIntervalBracketsTheMean() {
    double[] v = new double[50];
    Rng r = new Rng(4);
    for (int i = 0; i < v.length; i++) v[i] = 0.4 + 0.1 * r.normal();
    Lds.Result res = Lds.summarize(v, 1);
    assertTrue(res.low() < res.mean() && res.mean() < res.high());
    // The interval of a mean of 50 values with sd 0.1 has half-width about 1.96·0.1/√50 ≈ 0.028.
    assertEquals(0.056, res.high() - res.low(), 0.02);
  }
}
