package dev.unroll.tda.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Q diag(λ) Qᵀ = G and QᵀQ = I, by the QL method, the Jacobi fallback, and with zero rows split off. */
class SymmetricEigenTest {
  /** A Gram matrix XᵀX/m of rank ≤ m, with the columns in {@code dead} identically zero (blank pixels). */
  static double[][] gram(int n, int m, double deadFraction, long seed) {
    Random r = new Random(seed);
    boolean[] dead = new boolean[n];
    for (int j = 0; j < n; j++) dead[j] = r.nextDouble() < deadFraction;
    double[][] g = new double[n][n];
    for (int k = 0; k < m; k++) {
      double[] x = new double[n];
      for (int j = 0; j < n; j++) x[j] = dead[j] ? 0 : r.nextGaussian();
      for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) g[i][j] += x[i] * x[j] / m;
    }
    return g;
  }

  static void assertDecomposes(double[][] g, SymmetricEigen e, double tol) {
    int n = g.length;
    double[][] q = e.q();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double rec = 0, orth = 0;
        for (int k = 0; k < n; k++) {
          rec += q[i][k] * e.values()[k] * q[j][k];
          orth += q[k][i] * q[k][j];
        }
        assertEquals(g[i][j], rec, tol, "(QΛQᵀ)[" + i + "][" + j + "]");
        assertEquals(i == j ? 1 : 0, orth, tol, "(QᵀQ)[" + i + "][" + j + "]");
      }
    }
    for (int k = 1; k < n; k++) assertEquals(true, e.values()[k - 1] <= e.values()[k], "ascending eigenvalues");
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void decomposesRankDeficientMatricesWithZeroRows(boolean jacobi) {
    double[][] g = gram(40, 12, 0.4, 3);
    SymmetricEigen e = SymmetricEigen.of(g, jacobi);
    assertDecomposes(g, e, 1e-12);
    // The eigenvalues of the full matrix by commons-math's QL on the whole matrix (it converges on this one).
    double[] ref = new EigenDecomposition(new Array2DRowRealMatrix(g)).getRealEigenvalues();
    java.util.Arrays.sort(ref);
    for (int k = 0; k < ref.length; k++) assertEquals(ref[k], e.values()[k], 1e-12, "eigenvalue " + k);
  }

  @Test
  void jacobiAgreesWithQlOnADenseMatrix() {
    double[][] g = gram(30, 60, 0, 5);
    SymmetricEigen ql = SymmetricEigen.of(g, false), jac = SymmetricEigen.of(g, true);
    assertDecomposes(g, jac, 1e-12);
    for (int k = 0; k < 30; k++) assertEquals(ql.values()[k], jac.values()[k], 1e-12 * Math.abs(ql.values()[29]));
  }

  /** [[2, 1], [1, 2]]: λ = 1 with (1, −1)/√2 and λ = 3 with (1, 1)/√2 (up to sign). */
  @Test
  void handCase() {
    SymmetricEigen e = SymmetricEigen.of(new double[][] {{2, 1}, {1, 2}}, true);
    assertEquals(1, e.values()[0], 1e-15);
    assertEquals(3, e.values()[1], 1e-15);
    assertEquals(-1, e.q()[0][0] / e.q()[1][0], 1e-15);
    assertEquals(1, e.q()[0][1] / e.q()[1][1], 1e-15);
  }

  @Test
  void allZeroMatrixHasTheStandardBasis() {
    SymmetricEigen e = SymmetricEigen.of(new double[3][3]);
    assertDecomposes(new double[3][3], e, 0);
  }

  @Test
  void nonFiniteEntryIsNamed() {
    IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.of(new double[][] {{1, Double.NaN}, {0, 1}}));
    assertEquals(true, x.getMessage().contains("(0, 1)"), x.getMessage());
  }
}
