package dev.unroll.tda.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Linear;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Targets;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Fixtures;
import dev.unroll.tda.grad.GradientLayout;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fitted curvature against matrices computed the plain way (Oracles), and the cases where K-FAC and EK-FAC are exact. */
class CurvatureFitTest {
  static final FitOptions EXPECTED = FitOptions.of(FisherType.EXPECTED).withBatchSize(4);
  static final FitOptions EMPIRICAL = FitOptions.of(FisherType.EMPIRICAL).withBatchSize(4);

  /** A single Linear(d → k) layer with squared error on n random examples. */
  static AttributionTask linear(long seed, int n, int d, int k) {
    Rng r = new Rng(seed);
    Linear model = new Linear(d, k, DType.F64, r);
    Tensor x = Tensor.randn(r, DType.F64, n + 1, d);
    Tensor y = Tensor.randn(r, DType.F64, n + 1, k);
    return AttributionTaskOf.split(model, x, new Targets.Regression(y), n);
  }

  @Test
  void denseGaussNewtonMatchesJacobianOracle() {
    for (AttributionTask t : List.of(Fixtures.regression(1, 6, 1, 3, 4, 2), Fixtures.classification(2, 5, 1, 3, 3, 4, 3))) {
      List<Tensor> p = Fixtures.values(t.model());
      double err = Oracles.maxRelative(Oracles.gaussNewton(t, p), DenseCurvature.fisher(t, p, EXPECTED).matrix());
      assertTrue(err < 1e-12, "GN relative error " + err);
    }
  }

  @Test
  void denseEmpiricalFisherMatchesOuterProductsOfGradients() {
    AttributionTask t = Fixtures.classification(3, 6, 1, 3, 3, 4, 3);
    List<Tensor> p = Fixtures.values(t.model());
    double err = Oracles.maxRelative(Oracles.empiricalFisher(t, p), DenseCurvature.fisher(t, p, EMPIRICAL).matrix());
    assertTrue(err < 1e-12, "empirical Fisher relative error " + err);
  }

  @Test
  void denseHessianMatchesDerivativesHessianInBlockOrder() {
    AttributionTask t = Fixtures.regression(4, 6, 1, 3, 4, 1);
    List<Tensor> p = Fixtures.values(t.model());
    double err = Oracles.maxRelative(Oracles.hessian(t, p), DenseCurvature.hessian(t, p, FitOptions.defaults().withBatchSize(4)).matrix());
    assertTrue(err < 1e-12, "Hessian relative error " + err);
  }

  @Test
  void curvatureOperatorsMatchDenseMatrices() {
    AttributionTask t = Fixtures.classification(5, 7, 1, 3, 3, 4, 3);
    List<Tensor> p = Fixtures.values(t.model());
    Rng r = new Rng(6);
    double[] v = new double[t.layout().size()];
    for (int i = 0; i < v.length; i++) v[i] = r.normal();
    double[][] gn = Oracles.gaussNewton(t, p), h = Oracles.hessian(t, p);
    double[] gnv = CurvatureOperators.gaussNewton(t, p, EXPECTED).apply(v), hv = CurvatureOperators.hessian(t, p, EXPECTED).apply(v);
    assertTrue(Fixtures.relativeError(LinearOperator.dense(gn).apply(v), gnv) < 1e-12);
    assertTrue(Fixtures.relativeError(LinearOperator.dense(h).apply(v), hv) < 1e-12);
  }

  /**
   * Both operators on many vectors at once ({@link LinearOperator#applyAll}: on MLPs the shared primal
   * passes of {@code MlpHessianProducts}, for the Hessian and the Gauss-Newton matrix; on a convnet
   * with two classes the Gauss-Newton sweep of per-example output-cotangent gradients; on one with
   * three, and for its Hessian, one vector at a time) equal their one-vector products and the dense
   * matrices, damped too: squared error and cross-entropy, with batches that do not divide the
   * training set and a subset of it.
   */
  @Test
  void curvatureOperatorsApplyThemselvesToManyVectorsInOneSweep() {
    List<AttributionTask> tasks = List.of(Fixtures.regression(3, 11, 1, 3, 4, 1), Fixtures.classification(5, 7, 1, 3, 3, 4, 3), Fixtures.conv(8, 6, 1), Fixtures.conv(8, 7, 1, 2));
    for (AttributionTask t : tasks) {
      List<Tensor> p = Fixtures.values(t.model());
      for (boolean hessian : new boolean[] {false, true}) {
        double[][] dense = hessian ? Oracles.hessian(t, p) : Oracles.gaussNewton(t, p);
        for (FitOptions o : List.of(FitOptions.of(FisherType.EXPECTED), EXPECTED.withBatchSize(3), EXPECTED.withBatchSize(2).withMaxExamples(5))) {
          LinearOperator g = hessian ? CurvatureOperators.hessian(t, p, o) : CurvatureOperators.gaussNewton(t, p, o);
          String what = (hessian ? "Hessian " : "Gauss-Newton ") + t.model() + " " + o;
          Rng r = new Rng(9);
          double[][] vs = new double[3][t.layout().size()];
          for (double[] v : vs) for (int i = 0; i < v.length; i++) v[i] = r.normal();
          double[][] all = g.applyAll(vs), damped = g.damped(0.25).applyAll(vs);
          for (int k = 0; k < vs.length; k++) {
            double[] one = g.apply(vs[k]);
            assertTrue(Fixtures.relativeError(one, all[k]) < 1e-12, what + ": applyAll row " + k + " against apply");
            if (o.examples(t.numTrain()) == t.numTrain()) assertTrue(Fixtures.relativeError(LinearOperator.dense(dense).apply(vs[k]), all[k]) < 1e-12, what + ": against the dense matrix");
            for (int i = 0; i < one.length; i++) one[i] += 0.25 * vs[k][i];
            assertTrue(Fixtures.relativeError(one, damped[k]) < 1e-12, what + ": damped row " + k);
          }
        }
      }
    }
  }

  @Test
  void sampledFisherIsSeededBatchIndependentAndConvergesToTheExpectation() {
    AttributionTask t = Fixtures.classification(7, 5, 1, 3, 3, 4, 3);
    List<Tensor> p = Fixtures.values(t.model());
    FitOptions s = FitOptions.of(FisherType.SAMPLED).withSeed(11).withSamples(3);
    double[][] a = DenseCurvature.fisher(t, p, s.withBatchSize(2)).matrix(), b = DenseCurvature.fisher(t, p, s.withBatchSize(5)).matrix();
    assertTrue(Oracles.maxRelative(a, b) < 1e-13, "batch size changed a sampled fit");
    double[][] c = DenseCurvature.fisher(t, p, s.withSeed(12)).matrix();
    assertTrue(Oracles.maxRelative(a, c) > 1e-3, "another seed gave the same draws");
    double[][] many = DenseCurvature.fisher(t, p, s.withSamples(4000)).matrix();
    double err = Oracles.maxRelative(Oracles.gaussNewton(t, p), many);
    assertTrue(err < 0.06, "4000 label draws per example: relative error " + err);
    AttributionTask reg = Fixtures.regression(8, 4, 1, 2, 3, 2);
    List<Tensor> pr = Fixtures.values(reg.model());
    double errReg = Oracles.maxRelative(Oracles.gaussNewton(reg, pr), DenseCurvature.fisher(reg, pr, s.withSamples(4000)).matrix());
    assertTrue(errReg < 0.06, "squared error, 4000 draws: relative error " + errReg);
  }

  @Test
  void singleLinearLayerWithOneOutputKfacAndEkfacAreTheExactHessian() {
    // s = w̄ᵀā, L = (s − y)²: the Hessian of the mean loss is (2/N)·Σ ā āᵀ = A ⊗ S with S = 2 exactly.
    AttributionTask t = linear(9, 12, 4, 1);
    List<Tensor> p = Fixtures.values(t.model());
    double[][] h = Oracles.hessian(t, p);
    double errK = Oracles.maxRelative(h, Oracles.dense(Ekfac.kfac(t, p, EXPECTED)));
    double errE = Oracles.maxRelative(h, Oracles.dense(Ekfac.ekfac(t, p, EXPECTED)));
    assertTrue(errK < 1e-12, "K-FAC vs Hessian " + errK);
    assertTrue(errE < 1e-12, "EK-FAC vs Hessian " + errE);
    // The eigenvalues are those of the Hessian of the mean loss, in its units (η·σ dimensionless).
    double[] lambda = Ekfac.ekfac(t, p, EXPECTED).layer(0).lambda().toDoubleArray();
    double[] eig = SymmetricEigen.of(h).values();
    Arrays.sort(lambda);
    for (int i = 0; i < eig.length; i++) assertEquals(eig[i], lambda[i], 1e-12 * eig[eig.length - 1]);
  }

  @Test
  void deepLinearNetworkWithOneOutputHasExactKroneckerBlocks() {
    // Without nonlinearities ∂f/∂s_b = W_L···W_{b+1} is the same for every example, so each block of
    // the Gauss-Newton matrix is exactly (2 g gᵀ) ⊗ E[ā āᵀ] = S ⊗ A: K-FAC and EK-FAC are its exact block diagonal.
    Rng r = new Rng(15);
    dev.unroll.nn.Module model = new dev.unroll.nn.Sequential(new Linear(3, 4, DType.F64, r), new Linear(4, 2, DType.F64, r), new Linear(2, 1, DType.F64, r));
    Tensor x = Tensor.randn(r, DType.F64, 9, 3);
    AttributionTask t = AttributionTaskOf.split(model, x, new Targets.Regression(Tensor.randn(r, DType.F64, 9, 1)), 8);
    List<Tensor> p = Fixtures.values(model);
    double[][] gn = Oracles.gaussNewton(t, p);
    GradientLayout l = t.layout();
    double[][] kf = Oracles.dense(Ekfac.kfac(t, p, EXPECTED)), ek = Oracles.dense(Ekfac.ekfac(t, p, EXPECTED));
    for (int b = 0; b < l.numBlocks(); b++) {
      assertTrue(Oracles.maxRelative(Oracles.block(gn, l, b), Oracles.block(kf, l, b)) < 1e-11, "K-FAC block " + b);
      assertTrue(Oracles.maxRelative(Oracles.block(gn, l, b), Oracles.block(ek, l, b)) < 1e-11, "EK-FAC block " + b);
    }
    // No cross-block terms.
    assertEquals(0.0, kf[l.block(0).offset()][l.block(1).offset()]);
  }

  @Test
  void oneExampleEmpiricalFisherIsExactForKfacAndEkfac() {
    // With one example G = ∇L∇Lᵀ = (g āᵀ)(g āᵀ)ᵀ = (ā āᵀ) ⊗ (g gᵀ): rank one and Kronecker.
    AttributionTask t = linear(10, 1, 4, 3);
    List<Tensor> p = Fixtures.values(t.model());
    double[][] f = Oracles.empiricalFisher(t, p);
    assertTrue(Oracles.maxRelative(f, Oracles.dense(Ekfac.kfac(t, p, EMPIRICAL))) < 1e-12);
    assertTrue(Oracles.maxRelative(f, Oracles.dense(Ekfac.ekfac(t, p, EMPIRICAL))) < 1e-12);
  }

  @Test
  void ekfacEigenvaluesAreTheDiagonalOfTheExactBlockInTheKroneckerBasis() {
    for (FitOptions o : List.of(EXPECTED, EMPIRICAL)) {
      for (AttributionTask t : List.of(Fixtures.classification(11, 9, 1, 3, 3, 5, 3), Fixtures.conv(12, 4, 1))) {
        List<Tensor> p = Fixtures.values(t.model());
        double[][] g = o.fisher() == FisherType.EXPECTED ? Oracles.gaussNewton(t, p) : Oracles.empiricalFisher(t, p);
        KroneckerCurvature c = Ekfac.ekfac(t, p, o);
        GradientLayout l = t.layout();
        for (int b = 0; b < l.numBlocks(); b++) {
          double[][] gb = Oracles.block(g, l, b);
          KroneckerEigen k = c.layer(b);
          double[] qs = k.qS().toDoubleArray(), qa = k.qA().toDoubleArray(), lam = k.lambda().toDoubleArray();
          int out = k.outDim(), in = k.inDim();
          double scale = 0;
          for (double x : lam) scale = Math.max(scale, Math.abs(x));
          for (int i = 0; i < out; i++) for (int j = 0; j < in; j++) {
            // e = vec(q_S,i q_A,jᵀ) in the block's row-major layout; Λ[i, j] must equal eᵀ G_b e.
            double[] e = new double[out * in];
            for (int o2 = 0; o2 < out; o2++) for (int j2 = 0; j2 < in; j2++) e[o2 * in + j2] = qs[o2 * out + i] * qa[j2 * in + j];
            double quad = 0;
            for (int x = 0; x < e.length; x++) for (int y = 0; y < e.length; y++) quad += e[x] * gb[x][y] * e[y];
            assertEquals(quad, lam[i * in + j], 1e-11 * scale, o.fisher() + " " + l.block(b).name() + " Λ[" + i + "," + j + "]");
          }
        }
      }
    }
  }

  @Test
  void fitsDoNotDependOnTheBatchSize() {
    AttributionTask t = Fixtures.conv(13, 7, 1);
    List<Tensor> p = Fixtures.values(t.model());
    FitOptions s = FitOptions.defaults().withSeed(3);
    KroneckerCurvature a = Ekfac.ekfac(t, p, s.withBatchSize(2)), b = Ekfac.ekfac(t, p, s.withBatchSize(7));
    for (int i = 0; i < t.layout().numBlocks(); i++) {
      assertTrue(Fixtures.relativeError(a.layer(i).lambda().toDoubleArray(), b.layer(i).lambda().toDoubleArray()) < 1e-12);
    }
  }

  @Test
  void convolutionActivationFactorIsTheMeanOverPatches() {
    AttributionTask t = Fixtures.conv(14, 3, 1);
    List<Tensor> p = Fixtures.values(t.model());
    KroneckerFactors f = Ekfac.covariances(t, p, EXPECTED);
    // Layer 0: 3x3 patches of the padded 2-channel 5x5 input, 25 positions per example, plus the bias 1.
    double[] x = t.train().x().toDoubleArray();
    int in = 2 * 9 + 1;
    double[][] a = new double[in][in];
    int rows = 0;
    for (int n = 0; n < 3; n++) {
      for (int oi = 0; oi < 5; oi++) for (int oj = 0; oj < 5; oj++) {
        double[] patch = new double[in];
        for (int c = 0; c < 2; c++) for (int u = 0; u < 3; u++) for (int v = 0; v < 3; v++) {
          int ii = oi + u - 1, jj = oj + v - 1;
          patch[(c * 3 + u) * 3 + v] = ii < 0 || jj < 0 || ii >= 5 || jj >= 5 ? 0 : x[((n * 2 + c) * 5 + ii) * 5 + jj];
        }
        patch[in - 1] = 1;
        for (int i = 0; i < in; i++) for (int j = 0; j < in; j++) a[i][j] += patch[i] * patch[j];
        rows++;
      }
    }
    for (double[] r : a) for (int j = 0; j < in; j++) r[j] /= rows;
    assertTrue(Oracles.maxRelative(a, KroneckerBasis.square(f.a().get(0))) < 1e-13);
    assertEquals(25.0, f.rowsPerExample()[0]);
    assertEquals(4.0, f.rowsPerExample()[1]);
  }

  /** Builds a task with the first n rows as training set and the last row as the query. */
  static final class AttributionTaskOf {
    static AttributionTask split(dev.unroll.nn.Module model, Tensor x, Targets y, int n) {
      dev.unroll.nn.data.Dataset all = new dev.unroll.nn.data.Dataset("linear", x, y);
      int[] tr = Oracles.range(n);
      return new AttributionTask(model, new MseLoss(), Measurement.absoluteError(), all.subset(tr), all.subset(new int[] {n}));
    }
  }
}
