package dev.unroll.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Parameter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Trajectories of the optimizers over several steps against scalar reference formulas written out
 * in plain double loops. The gradient at each step depends on the current parameters,
 * g = p³ − r_k with r_k random, so an error in any step propagates.
 */
class ReferenceTrajectoryTest {
  static final int STEPS = 7, N = 5;
  static final double[] LR = {0.1, 0.05, 0.2, 0.1, 0.02, 0.15, 0.1};

  static double[][] noise() {
    Rng rng = new Rng(99);
    double[][] r = new double[STEPS][N];
    for (double[] row : r) for (int i = 0; i < N; i++) row[i] = rng.normal();
    return r;
  }

  static double[] start() {
    Rng rng = new Rng(7);
    double[] p = new double[N];
    for (int i = 0; i < N; i++) p[i] = rng.normal();
    return p;
  }

  /** Runs the optimizer on one float64 parameter and returns its final values. */
  static double[] run(Optimizer opt) {
    double[][] r = noise();
    Parameter p = new Parameter("w", Tensor.of(start(), N));
    for (int k = 0; k < STEPS; k++) {
      double[] v = p.value().toDoubleArray(), g = new double[N];
      for (int i = 0; i < N; i++) g[i] = v[i] * v[i] * v[i] - r[k][i];
      opt.step(List.of(p), List.of(Tensor.of(g, N)), LR[k]);
    }
    return p.value().toDoubleArray();
  }

  static double[] sgdReference(double mu, double wd, boolean nesterov) {
    double[][] r = noise();
    double[] p = start(), v = new double[N];
    for (int k = 0; k < STEPS; k++) {
      for (int i = 0; i < N; i++) {
        double g = p[i] * p[i] * p[i] - r[k][i];
        g = g + wd * p[i];
        if (mu != 0) {
          v[i] = k == 0 ? g : mu * v[i] + g;
          g = nesterov ? g + mu * v[i] : v[i];
        }
        p[i] = p[i] - LR[k] * g;
      }
    }
    return p;
  }

  /** Textbook Adam: m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), p ← p − η·m̂/(√v̂ + ε); L2 or decoupled decay. */
  static double[] adamReference(double b1, double b2, double eps, double wd, boolean decoupled) {
    double[][] r = noise();
    double[] p = start(), m = new double[N], v = new double[N];
    for (int k = 0; k < STEPS; k++) {
      int t = k + 1;
      for (int i = 0; i < N; i++) {
        double g = p[i] * p[i] * p[i] - r[k][i];
        if (decoupled) p[i] -= LR[k] * wd * p[i];
        else g += wd * p[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        double mHat = m[i] / (1 - Math.pow(b1, t)), vHat = v[i] / (1 - Math.pow(b2, t));
        p[i] -= LR[k] * mHat / (Math.sqrt(vHat) + eps);
      }
    }
    return p;
  }

  static void assertClose(double[] want, double[] got, double rel) {
    for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], rel * Math.max(1, Math.abs(want[i])), "entry " + i);
  }

  @Test
  void plainSgd() {
    assertClose(sgdReference(0, 0, false), run(new Sgd()), 0);
  }

  @Test
  void heavyBallMomentumWithWeightDecay() {
    // Written in the same order of operations as the reference, so equal to the last bit.
    assertClose(sgdReference(0.9, 1e-2, false), run(new Sgd(0.9, 1e-2, false)), 0);
  }

  @Test
  void nesterov() {
    assertClose(sgdReference(0.8, 3e-3, true), run(new Sgd(0.8, 3e-3, true)), 0);
  }

  @Test
  void adam() {
    assertClose(adamReference(0.9, 0.999, 1e-8, 0, false), run(new Adam()), 1e-13);
    assertClose(adamReference(0.8, 0.99, 1e-3, 0.05, false), run(new Adam(0.8, 0.99, 1e-3, 0.05)), 1e-13);
  }

  @Test
  void adamW() {
    assertClose(adamReference(0.9, 0.999, 1e-8, 0.1, true), run(new AdamW(0.9, 0.999, 1e-8, 0.1)), 1e-13);
  }

  @Test
  void epsIsOutsideTheSquareRoot() {
    // With a large ε the two placements differ visibly; the reference puts ε outside.
    assertClose(adamReference(0.9, 0.999, 0.5, 0, false), run(new Adam(0.9, 0.999, 0.5, 0)), 1e-13);
  }

  @Test
  void float32FollowsTheFloat64TrajectoryClosely() {
    double[][] r = noise();
    Parameter p = new Parameter("w", Tensor.of(DType.F32, start(), N));
    Sgd opt = new Sgd(0.9, 1e-2, false);
    for (int k = 0; k < STEPS; k++) {
      double[] v = p.value().toDoubleArray(), g = new double[N];
      for (int i = 0; i < N; i++) g[i] = v[i] * v[i] * v[i] - r[k][i];
      opt.step(List.of(p), List.of(Tensor.of(DType.F32, g, N)), LR[k]);
    }
    assertClose(sgdReference(0.9, 1e-2, false), p.value().toDoubleArray(), 1e-5);
  }
}
