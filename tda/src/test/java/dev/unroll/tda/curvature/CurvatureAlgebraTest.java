package dev.unroll.tda.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;

/** Spectral functions, eigendecompositions and solvers against direct linear algebra. */
class CurvatureAlgebraTest {
  /** A random symmetric positive definite matrix B Bᵀ/n + 0.1 I. */
  static double[][] spd(int n, long seed) {
    Rng r = new Rng(seed);
    double[][] b = new double[n][n];
    for (double[] row : b) for (int j = 0; j < n; j++) row[j] = r.normal();
    double[][] g = new double[n][n];
    for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
      double s = 0;
      for (int k = 0; k < n; k++) s += b[i][k] * b[j][k];
      g[i][j] = s / n + (i == j ? 0.1 : 0);
    }
    return g;
  }

  static double[] randomVector(int n, long seed) {
    Rng r = new Rng(seed);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) v[i] = r.normal();
    return v;
  }

  static double[] solve(double[][] g, double[] b) {
    return new LUDecomposition(new Array2DRowRealMatrix(g)).getSolver().solve(new org.apache.commons.math3.linear.ArrayRealVector(b)).toArray();
  }

  static void assertClose(double[] e, double[] a, double rel, String what) {
    double d = 0, s = 0;
    for (int i = 0; i < e.length; i++) {
      d = Math.max(d, Math.abs(e[i] - a[i]));
      s = Math.max(s, Math.abs(e[i]));
    }
    assertTrue(d <= rel * s, what + ": max difference " + d + " vs scale " + s);
  }

  @Test
  void inverseByEigendecompositionSolvesTheDampedSystem() {
    int n = 30;
    double[][] g = spd(n, 1);
    double[] b = randomVector(n, 2);
    double lambda = 0.05;
    double[][] damped = new double[n][];
    for (int i = 0; i < n; i++) {
      damped[i] = g[i].clone();
      damped[i][i] += lambda;
    }
    double[] expected = solve(damped, b);
    SymmetricEigen e = SymmetricEigen.of(g);
    assertClose(expected, e.apply(SpectralFunction.inverse(lambda), b), 1e-11, "eigen inverse");
    assertClose(expected, IterativeSolvers.conjugateGradient(LinearOperator.dense(g).damped(lambda), b, 1e-12, 500).x(), 1e-9, "CG");
    double scale = e.values()[n - 1] + lambda;
    IterativeSolvers.Solution lissa = IterativeSolvers.lissa(LinearOperator.dense(g).damped(lambda), b, scale, 1e-14, 20000);
    assertClose(expected, lissa.x(), 1e-6, "LiSSA (" + lissa.iterations() + " iterations)");
    for (int i = 1; i < n; i++) assertTrue(e.values()[i - 1] <= e.values()[i], "eigenvalues ascending");
  }

  /** (1 − ηH)^K v and the accumulated K-step sum equal explicit repeated multiplication. */
  @Test
  void powerFormsEqualRepeatedGradientDescentSteps() {
    int n = 12, k = 7;
    double eta = 0.3;
    double[][] g = spd(n, 3);
    double[] v = randomVector(n, 4);
    LinearOperator op = LinearOperator.dense(g);
    double[] prop = v.clone(), gain = new double[n];
    for (int step = 0; step < k; step++) {
      for (int i = 0; i < n; i++) gain[i] += eta * prop[i];
      double[] hv = op.apply(prop);
      for (int i = 0; i < n; i++) prop[i] -= eta * hv[i];
    }
    SymmetricEigen e = SymmetricEigen.of(g);
    assertClose(prop, e.apply(SpectralFunction.powerPropagate(eta, k), v), 1e-12, "(I - eta H)^K v");
    assertClose(gain, e.apply(SpectralFunction.powerGain(eta, k), v), 1e-12, "eta sum_j (I - eta H)^j v");
  }

  @Test
  void segmentGainLimits() {
    double c = 2.5;
    assertEquals(c, SpectralFunction.segmentGain(c).at(0), 0);
    assertEquals(c * (1 - 1e-14 * c / 2), SpectralFunction.segmentGain(c).at(1e-14), 1e-20);
    assertEquals(-Math.expm1(-c * 0.7) / 0.7, SpectralFunction.segmentGain(c).at(0.7), 1e-16);
    assertEquals(1.0 / 4.0, SpectralFunction.segmentGain(c).at(4.0), 1e-4, "large sigma: 1/sigma");
    assertEquals(0.3 * 7, SpectralFunction.powerGain(0.3, 7).at(0), 1e-15);
  }

  /** φ(A ⊗ S)-style application equals the dense Kronecker product's eigen-application (K-FAC). */
  @Test
  void kroneckerApplyEqualsDenseKroneckerProduct() {
    int dout = 3, din = 4;
    double[][] s = spd(dout, 5), a = spd(din, 6);
    SymmetricEigen es = SymmetricEigen.of(s), ea = SymmetricEigen.of(a);
    KroneckerEigen k = KroneckerEigen.kfac(es, ea);
    int n = dout * din;
    double[][] kron = new double[n][n];
    for (int i = 0; i < dout; i++) for (int j = 0; j < din; j++) for (int p = 0; p < dout; p++) for (int q = 0; q < din; q++) kron[i * din + j][p * din + q] = s[i][p] * a[j][q];
    double[] v = randomVector(n, 7);
    double lambda = 0.02;
    double[][] damped = new double[n][];
    for (int i = 0; i < n; i++) {
      damped[i] = kron[i].clone();
      damped[i][i] += lambda;
    }
    double[] expected = solve(damped, v);
    Tensor out = k.apply(SpectralFunction.inverse(lambda), Tensor.of(v, dout, din));
    assertClose(expected, out.toDoubleArray(), 1e-11, "Kronecker inverse");
    Tensor batch = Tensor.of(v, 1, dout, din).expand(2, dout, din);
    assertClose(expected, k.apply(SpectralFunction.inverse(lambda), batch).slice(0, 1, 2).toDoubleArray(), 1e-11, "batched");
  }

  @Test
  void lockstepSolversGiveEachRightHandSideTheSingleVectorSolution() {
    int n = 25;
    double[][] g = spd(n, 3);
    LinearOperator a = LinearOperator.dense(g).damped(0.05);
    // A zero right-hand side, an eigen-direction-like one that converges at once, and generic ones that take longer.
    double[][] bs = {randomVector(n, 4), new double[n], randomVector(n, 5), g[0].clone()};
    int[] calls = {0};
    LinearOperator counted = new LinearOperator() {
      public int dim() {
        return n;
      }

      public double[] apply(double[] v) {
        return a.apply(v);
      }

      public double[][] applyAll(double[][] vs) {
        calls[0]++;
        return LinearOperator.super.applyAll(vs);
      }
    };
    double scale = 4;
    for (int maxIter : new int[] {3, 400}) {
      calls[0] = 0;
      IterativeSolvers.Solution[] cg = IterativeSolvers.conjugateGradient(counted, bs, 1e-10, maxIter);
      int most = 0;
      for (int k = 0; k < bs.length; k++) {
        IterativeSolvers.Solution one = IterativeSolvers.conjugateGradient(a, bs[k], 1e-10, maxIter);
        assertTrue(java.util.Arrays.equals(one.x(), cg[k].x()), "CG right-hand side " + k + " differs from its own solve");
        assertEquals(one.iterations(), cg[k].iterations());
        assertEquals(one.converged(), cg[k].converged());
        most = Math.max(most, one.iterations());
        if (cg[k].converged()) assertClose(solve(new Array2DRowRealMatrix(g).add(MatrixUtils.createRealIdentityMatrix(n).scalarMultiply(0.05)).getData(), bs[k]), cg[k].x(), 1e-8, "CG solution " + k);
      }
      assertEquals(most, calls[0], "one operator call per lockstep iteration");
      assertEquals(maxIter > 3, cg[0].converged() && cg[2].converged(), "converged flags at limit " + maxIter);
      assertEquals(0, cg[1].iterations());
      IterativeSolvers.Solution[] li = IterativeSolvers.lissa(a, bs, scale, 1e-12, maxIter * 10);
      for (int k = 0; k < bs.length; k++) {
        IterativeSolvers.Solution one = IterativeSolvers.lissa(a, bs[k], scale, 1e-12, maxIter * 10);
        assertTrue(java.util.Arrays.equals(one.x(), li[k].x()), "LiSSA right-hand side " + k + " differs from its own solve");
        assertEquals(one.iterations(), li[k].iterations());
        assertEquals(one.converged(), li[k].converged());
        assertEquals(one.relativeResidual(), li[k].relativeResidual(), 1e-15);
      }
      assertEquals(maxIter > 3, li[0].converged(), "LiSSA converged flag at limit " + maxIter * 10);
    }
  }

  @Test
  void solversRefuseLimitsThatCannotSolve() {
    LinearOperator a = LinearOperator.dense(spd(4, 1));
    double[] b = randomVector(4, 2);
    String[] messages = {
      message(() -> IterativeSolvers.conjugateGradient(a, b, 1e-6, 0)),
      message(() -> IterativeSolvers.conjugateGradient(a, b, -1, 10)),
      message(() -> IterativeSolvers.conjugateGradient(a, b, Double.NaN, 10)),
      message(() -> IterativeSolvers.lissa(a, b, 2, 1e-6, -3)),
      message(() -> IterativeSolvers.lissa(a, b, 0, 1e-6, 10)),
      message(() -> IterativeSolvers.lissa(a, b, Double.POSITIVE_INFINITY, 1e-6, 10))};
    String[] expected = {"iteration limit must be at least 1, got 0", "tolerance must be finite and non-negative, got -1", "got NaN",
      "iteration limit must be at least 1, got -3", "scale must be positive and finite, got 0", "got Infinity"};
    for (int i = 0; i < messages.length; i++) assertTrue(messages[i].contains(expected[i]), messages[i]);
  }

  private static String message(Runnable r) {
    try {
      r.run();
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    throw new AssertionError("expected a refusal");
  }

  @Test
  void conjugateGradientRefusesIndefiniteOperators() {
    double[][] g = {{1, 0}, {0, -1}};
    try {
      IterativeSolvers.conjugateGradient(LinearOperator.dense(g), new double[] {0, 1}, 1e-10, 10);
      throw new AssertionError("expected a refusal");
    } catch (ArithmeticException e) {
      assertTrue(e.getMessage().contains("not positive definite"));
    }
  }
}
