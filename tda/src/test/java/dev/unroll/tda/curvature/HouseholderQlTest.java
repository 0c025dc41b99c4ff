package dev.unroll.tda.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SIMD Householder + QL solver against commons-math's EigenDecomposition (the oracle for the
 * eigenvalues) and against the definition (V diag(λ) Vᵀ = G, VᵀV = I) on matrices that exercise its
 * branches: sizes below, at and past the vector width, rank-deficient and indefinite matrices,
 * repeated eigenvalues, columns already reduced (no reflection), entries over 16 orders of magnitude.
 */
class HouseholderQlTest {
  /** Decomposes g, checks it against the definition to {@code tol}·‖G‖_max and returns the eigenvalues sorted. */
  static double[] checked(double[][] g, double tol) {
    int n = g.length;
    double[] values = new double[n];
    double[][] q = new double[n][n];
    assertTrue(HouseholderQl.decompose(g, values, q), "QL converges");
    double norm = 0;
    for (double[] row : g) for (double x : row) norm = Math.max(norm, Math.abs(x));
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double rec = 0, orth = 0;
        for (int k = 0; k < n; k++) {
          rec += q[i][k] * values[k] * q[j][k];
          orth += q[k][i] * q[k][j];
        }
        assertEquals(g[i][j], rec, tol * Math.max(norm, Double.MIN_NORMAL), "(VΛVᵀ)[" + i + "][" + j + "] of " + n + " × " + n);
        assertEquals(i == j ? 1 : 0, orth, tol, "(VᵀV)[" + i + "][" + j + "] of " + n + " × " + n);
      }
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted;
  }

  static void assertSameEigenvalues(double[][] g, double[] sorted, double tol) {
    double[] ref = new EigenDecomposition(new Array2DRowRealMatrix(g)).getRealEigenvalues();
    Arrays.sort(ref);
    double scale = 0;
    for (double x : ref) scale = Math.max(scale, Math.abs(x));
    for (int k = 0; k < ref.length; k++) assertEquals(ref[k], sorted[k], tol * Math.max(scale, Double.MIN_NORMAL), "eigenvalue " + k);
  }

  static double[][] symmetric(int n, long seed) {
    Random r = new Random(seed);
    double[][] g = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) g[i][j] = g[j][i] = r.nextGaussian();
    }
    return g;
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 7, 8, 9, 17, 64, 129})
  void indefiniteMatricesOfEverySize(int n) {
    double[][] g = symmetric(n, 11 + n);
    assertSameEigenvalues(g, checked(g, 1e-13), 1e-13);
  }

  /**
   * Gram matrices of rank n/3, as K-FAC factors of few examples are; commons-math's QL gives up on
   * the larger ones (a third of the spectrum at rounding level), so the eigenvalues are compared with
   * the cyclic Jacobi method's.
   */
  @ParameterizedTest
  @ValueSource(ints = {9, 128, 129})
  void rankDeficientGramMatricesAsInKfacFactors(int n) {
    double[][] g = SymmetricEigenTest.gram(n, n / 3, 0, 5 + n);
    double[] v = checked(g, 1e-13);
    double[] ref = new double[n];
    JacobiEigen.decompose(g, ref, new double[n][n]);
    Arrays.sort(ref);
    for (int k = 0; k < n; k++) assertEquals(ref[k], v[k], 1e-13 * ref[n - 1], "eigenvalue " + k);
  }

  /** I + uuᵀ: eigenvalue 1 repeated n − 1 times; any orthonormal basis of its eigenspace is right. */
  @Test
  void repeatedEigenvalues() {
    int n = 40;
    double[] u = new double[n];
    Random r = new Random(2);
    for (int i = 0; i < n; i++) u[i] = r.nextGaussian();
    double[][] g = new double[n][n];
    for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) g[i][j] = (i == j ? 1 : 0) + u[i] * u[j];
    double[] v = checked(g, 1e-13);
    double uu = 0;
    for (double x : u) uu += x * x;
    for (int k = 0; k < n - 1; k++) assertEquals(1, v[k], 1e-13 * uu);
    assertEquals(1 + uu, v[n - 1], 1e-13 * uu);
  }

  /** Diagonal and tridiagonal inputs take the no-reflection branch at every column. */
  @Test
  void alreadyReducedMatrices() {
    double[][] diag = new double[10][10];
    for (int i = 0; i < 10; i++) diag[i][i] = (i % 3) - 1.5 * i;
    assertSameEigenvalues(diag, checked(diag, 1e-15), 1e-15);
    double[][] tri = new double[12][12];
    for (int i = 0; i < 12; i++) {
      tri[i][i] = 2;
      if (i + 1 < 12) tri[i][i + 1] = tri[i + 1][i] = -1;
    }
    double[] v = checked(tri, 1e-14);
    // The second-difference matrix: λ_k = 2 − 2 cos(kπ/13).
    for (int k = 1; k <= 12; k++) assertEquals(2 - 2 * Math.cos(k * Math.PI / 13), v[k - 1], 1e-14);
  }

  /** Scales from 1e-8 to 1e8 on the diagonal of a rotated matrix: small eigenvalues keep absolute accuracy ε‖G‖. */
  @Test
  void widelyScaledSpectrum() {
    int n = 20;
    double[][] rot = symmetric(n, 9);
    double[] values = new double[n];
    double[][] q = new double[n][n];
    assertTrue(HouseholderQl.decompose(rot, values, q));
    double[][] g = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < n; k++) s += q[i][k] * Math.pow(10, -8 + 16.0 * k / (n - 1)) * q[j][k];
        g[i][j] = s;
      }
    }
    for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) g[i][j] = g[j][i];
    assertSameEigenvalues(g, checked(g, 1e-13), 1e-13);
  }

  /**
   * A seeded run repeats itself: the first decomposition and later ones agree in every bit. Run
   * alone, in a fresh JVM, the first call is interpreted and the later ones compiled (a lane
   * reduction whose order the JIT may change fails it at once); after other tests have warmed the
   * kernels it only checks repeatability.
   */
  @Test
  void sameBitsBeforeAndAfterCompilation() {
    int n = 129;
    double[][] g = SymmetricEigenTest.gram(n, 300, 0, 17);
    double[] v0 = new double[n];
    double[][] q0 = new double[n][n];
    assertTrue(HouseholderQl.decompose(g, v0, q0));
    for (int rep = 0; rep < 200; rep++) {
      double[] v = new double[n];
      double[][] q = new double[n][n];
      assertTrue(HouseholderQl.decompose(g, v, q));
      assertTrue(Arrays.equals(v0, v), "eigenvalues changed at call " + rep);
      assertTrue(Arrays.deepEquals(q0, q), "eigenvectors changed at call " + rep);
    }
  }

  @Test
  void zeroMatrix() {
    double[] v = checked(new double[5][5], 0);
    for (double x : v) assertEquals(0, x);
  }
}
