package dev.unroll.tda.methods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Mlp;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Targets;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.Fixtures;
import dev.unroll.tda.Scores;
import dev.unroll.tda.curvature.DiagonalCurvature;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.curvature.Oracles;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Diagonal-curvature influence (the CLI's if-diagonal: {@code Preconditioners.diagonal(DiagonalCurvature.fit(task, p, fit), damping)},
 * default damping 0.1 × mean of the diagonal) against the diagonal of the exact Fisher-type matrix
 * and the influence formula formed explicitly in float64 from per-example gradients
 * ({@link GradientOracles}, {@link Oracles}), on a two-output squared-error MLP, an MLP classifier and
 * a convnet. Only the deterministic Fisher types: the sampled one equals these only in expectation.
 */
class DiagonalInfluenceOracleTest {
  static final ScoreOptions SO = ScoreOptions.defaults().withTrainBatchSize(5);

  static List<AttributionTask> tasks() {
    return List.of(twoOutputRegression(61, 12, 3), Fixtures.classification(62, 10, 3, 3, 3, 4, 3), Fixtures.conv(63, 7, 2));
  }

  /** A tanh MLP 3 → 4 → 2 with squared error Σⱼ(fⱼ − yⱼ)² and absolute-error measurement, random targets. */
  static AttributionTask twoOutputRegression(long seed, int n, int q) {
    Rng r = new Rng(seed);
    Mlp model = Mlp.of(DType.F64, r, Activation.TANH, 3, 4, 2);
    Tensor x = Tensor.randn(r, DType.F64, n + q, 3), y = Tensor.randn(r, DType.F64, n + q, 2);
    return AttributionTask.of(model, new MseLoss(), Measurement.absoluteError(), x.slice(0, 0, n), new Targets.Regression(y.slice(0, 0, n)),
        x.slice(0, n, n + q), new Targets.Regression(y.slice(0, n, n + q)));
  }

  /** The reference diagonal: (1/n)·Σ_{i<n} (∇L_i)_j² (empirical) or the diagonal of (1/N)·Σᵢ J_iᵀ H_i J_i (expected). */
  static double[] referenceDiagonal(AttributionTask t, List<Tensor> p, FisherType type, double[][] lossGradients, int n) {
    int pd = t.layout().size();
    double[] d = new double[pd];
    if (type == FisherType.EXPECTED) {
      double[][] gn = Oracles.gaussNewton(t, p);
      for (int j = 0; j < pd; j++) d[j] = gn[j][j];
    } else {
      for (int i = 0; i < n; i++) for (int j = 0; j < pd; j++) d[j] += lossGradients[i][j] * lossGradients[i][j] / n;
    }
    return d;
  }

  /**
   * The fitted diagonal is the diagonal of the exact matrix: for {@link FisherType#EMPIRICAL}
   * d_j = (1/N)·Σᵢ (∇L_i)_j² (also with {@code maxExamples} = 4: the mean over the first 4 examples),
   * for {@link FisherType#EXPECTED} d_j = [(1/N)·Σᵢ J_iᵀ H_i J_i]_jj, the Gauss-Newton diagonal
   * (H_i = 2I for squared error, diag(p) − ppᵀ for cross-entropy). Batches of 5 leave a ragged
   * last batch. Also checks the closed-form loss gradients against plain autodiff of the loss.
   * Tolerance 1e-12 relative to the largest entry.
   */
  @Test
  void fittedDiagonalIsTheDiagonalOfTheExactFisher() {
    for (AttributionTask t : tasks()) {
      List<Tensor> p = Fixtures.values(t.model());
      double[][] g = GradientOracles.all(t, p, GradientOracles.Of.LOSS);
      for (int i = 0; i < t.numTrain(); i++) assertTrue(Fixtures.relativeError(Oracles.gradient(t, p, i), g[i]) < 1e-12, "closed-form loss gradient " + i);
      for (FisherType type : List.of(FisherType.EMPIRICAL, FisherType.EXPECTED)) {
        double[] want = referenceDiagonal(t, p, type, g, t.numTrain());
        double[] got = DiagonalCurvature.fit(t, p, FitOptions.of(type).withBatchSize(5)).diagonal();
        double err = Fixtures.relativeError(want, got);
        assertTrue(err < 1e-12, type + " diagonal of " + t + ": relative error " + err);
      }
      double[] first4 = referenceDiagonal(t, p, FisherType.EMPIRICAL, g, 4);
      double err = Fixtures.relativeError(first4, DiagonalCurvature.fit(t, p, FitOptions.of(FisherType.EMPIRICAL).withBatchSize(3).withMaxExamples(4)).diagonal());
      assertTrue(err < 1e-12, "empirical diagonal over the first 4 examples: relative error " + err);
    }
  }

  /**
   * τ(q, m) = Σ_j (∇f(z_q))_j (∇L(z_m))_j / (d_j + λ), the sign convention of method.md §3
   * (τ = ∇f_qᵀ (G + λI)⁻¹ ∇L_m, positive: removing z_m increases f), with d the reference diagonal,
   * ∇f the measurement's gradient (absolute error, margin) and ∇L the loss's, all formed explicitly;
   * and the self-influence Σ_j (∇L(z_m))_j² / (d_j + λ). For a fixed λ = 1e-3 and for the CLI's
   * default λ = 0.1 × mean(d) (whose value the scores must record). Tolerance 1e-10 relative to the
   * largest score.
   */
  @Test
  void diagonalInfluenceIsTheGradientFormWithTheDampedInverseDiagonal() {
    for (AttributionTask t : tasks()) {
      List<Tensor> p = Fixtures.values(t.model());
      double[][] gm = GradientOracles.all(t, p, GradientOracles.Of.LOSS);
      double[][] gq = GradientOracles.all(t.withTrain(t.queries()), p, GradientOracles.Of.MEASUREMENT);
      for (FisherType type : List.of(FisherType.EMPIRICAL, FisherType.EXPECTED)) {
        FitOptions fit = FitOptions.of(type).withBatchSize(4);
        double[] d = referenceDiagonal(t, p, type, gm, t.numTrain());
        double mean = 0;
        for (double x : d) mean += x / d.length;
        for (Damping damping : List.of(Damping.of(1e-3), Damping.meanEigenvalue(0.1))) {
          double lambda = damping.needsMeanEigenvalue() ? 0.1 * mean : 1e-3;
          double[][] want = new double[t.numQueries()][t.numTrain()];
          double[] wantSelf = new double[t.numTrain()];
          for (int m = 0; m < t.numTrain(); m++) {
            for (int j = 0; j < d.length; j++) wantSelf[m] += gm[m][j] * gm[m][j] / (d[j] + lambda);
            for (int q = 0; q < t.numQueries(); q++) for (int j = 0; j < d.length; j++) want[q][m] += gq[q][j] * gm[m][j] / (d[j] + lambda);
          }
          Scores pairwise = InfluenceFunctions.diagonal(t, p, fit, damping, SO);
          Preconditioner cli = Preconditioners.diagonal(DiagonalCurvature.fit(t, p, fit), damping);
          Scores self = InfluenceFunctions.selfInfluence(t, p, cli, SO);
          double err = Fixtures.relativeError(want, pairwise.values()), errSelf = Fixtures.relativeError(wantSelf, self.selfValues());
          assertTrue(err < 1e-10, type + " " + damping.describe() + " pairwise: relative error " + err);
          assertTrue(errSelf < 1e-10, type + " " + damping.describe() + " self-influence: relative error " + errSelf);
          assertEquals(lambda, Double.parseDouble(pairwise.settings().get("damping_value")), 1e-12 * lambda);
        }
      }
    }
  }
}
