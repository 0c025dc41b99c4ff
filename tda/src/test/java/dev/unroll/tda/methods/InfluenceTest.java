package dev.unroll.tda.methods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Mlp;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.Fixtures;
import dev.unroll.tda.Scores;
import dev.unroll.tda.curvature.DenseCurvature;
import dev.unroll.tda.curvature.DiagonalCurvature;
import dev.unroll.tda.curvature.Ekfac;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.curvature.KroneckerCurvature;
import dev.unroll.tda.curvature.LinearOperator;
import dev.unroll.tda.curvature.SymmetricEigen;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Influence-function scores: the exact solvers against each other, EK-FAC against the exact Gauss-Newton, invariances. */
class InfluenceTest {
  static final FitOptions EXPECTED = FitOptions.of(FisherType.EXPECTED).withBatchSize(16);
  static final ScoreOptions SO = ScoreOptions.defaults().withTrainBatchSize(16);

  @Test
  void explicitConjugateGradientAndLissaAgreeOnGaussNewtonAndHessian() {
    AttributionTask t = Fixtures.classification(31, 30, 2, 3, 3, 5, 3);
    List<Tensor> p = Fixtures.train(t, 100, 0.5, 1e-3);
    DenseCurvature gn = DenseCurvature.fisher(t, p, EXPECTED);
    double lambda = 0.3 * gn.meanEigenvalue();
    Damping d = Damping.of(lambda);
    Scores explicit = InfluenceFunctions.pairwise(t, p, Preconditioners.explicit(gn, d), SO);
    Scores cg = InfluenceFunctions.conjugateGradient(t, p, InfluenceFunctions.Operator.GAUSS_NEWTON, EXPECTED, d, 1e-12, 500, SO);
    double lmax = gn.eigen().values()[gn.eigen().size() - 1] + lambda;
    Scores lissa = InfluenceFunctions.lissa(t, p, InfluenceFunctions.Operator.GAUSS_NEWTON, EXPECTED, d, 0.55 * lmax, 1e-12, 20000, SO);
    assertTrue(Fixtures.relativeError(explicit.values(), cg.values()) < 1e-8, "CG vs explicit " + Fixtures.relativeError(explicit.values(), cg.values()));
    assertTrue(Fixtures.relativeError(explicit.values(), lissa.values()) < 1e-7, "LiSSA vs explicit " + Fixtures.relativeError(explicit.values(), lissa.values()));
    assertEquals("influence/cg(gauss-newton)", cg.method());
    assertEquals(Double.toString(lambda), cg.settings().get("damping_value"));

    // The Hessian is indefinite away from the optimum; damp past its most negative eigenvalue.
    DenseCurvature h = DenseCurvature.hessian(t, p, EXPECTED);
    double lambdaH = Math.max(0, -h.eigen().values()[0]) + 0.3 * gn.meanEigenvalue();
    Scores explicitH = InfluenceFunctions.pairwise(t, p, Preconditioners.explicit(h, Damping.of(lambdaH)), SO);
    Scores cgH = InfluenceFunctions.conjugateGradient(t, p, InfluenceFunctions.Operator.HESSIAN, EXPECTED, Damping.of(lambdaH), 1e-12, 500, SO);
    assertTrue(Fixtures.relativeError(explicitH.values(), cgH.values()) < 1e-8);
  }

  /**
   * EK-FAC against the exact damped Gauss-Newton influence, in the setting where theory says they
   * should agree: a one-output tanh MLP on inputs of small scale (0.3), where tanh works near its
   * linear range, so ∂f/∂s barely varies between examples and every block of the Gauss-Newton matrix
   * is nearly a Kronecker product (exactly so in the linear limit, see
   * CurvatureFitTest.deepLinearNetworkWithOneOutputHasExactKroneckerBlocks), with the common damping
   * 0.1 × mean eigenvalue. The claim is not vacuous: the gradient dot product (no curvature)
   * correlates only about 0.5 with the same exact scores.
   */
  @Test
  void ekfacCorrelatesWithExactGaussNewtonInTheNearLinearRegime() {
    Rng r = new Rng(3);
    int n = 400, q = 10;
    Mlp model = Mlp.of(DType.F64, r, Activation.TANH, 3, 24, 1);
    Tensor x = Tensor.randn(r, DType.F64, n + q, 3).mul(0.3);
    Targets.Regression y = Fixtures.teacherTargets(r, x);
    Dataset all = new Dataset("near-linear", x, y);
    AttributionTask t = new AttributionTask(model, new MseLoss(), Measurement.absoluteError(), all.subset(IntStream.range(0, n).toArray()), all.subset(IntStream.range(n, n + q).toArray()));
    List<Tensor> p = Fixtures.train(t, 400, 0.1, 1e-3);
    FitOptions fo = EXPECTED.withBatchSize(64);
    DenseCurvature gn = DenseCurvature.fisher(t, p, fo);
    Damping d = Damping.of(0.1 * gn.meanEigenvalue());
    double[] exact = Fixtures.flatten(InfluenceFunctions.pairwise(t, p, Preconditioners.explicit(gn, d), SO).values());
    double ek = Fixtures.pearson(exact, Fixtures.flatten(InfluenceFunctions.pairwise(t, p, Preconditioners.kronecker(Ekfac.ekfac(t, p, fo), d), SO).values()));
    double dot = Fixtures.pearson(exact, Fixtures.flatten(GradientSimilarity.dot(t, p, SO).values()));
    assertTrue(ek >= 0.98, "EK-FAC vs exact Gauss-Newton influence: Pearson " + ek);
    assertTrue(dot < 0.8, "the gradient dot product should be far from the exact influence here, Pearson " + dot);
  }

  @Test
  void scoresDoNotDependOnBatchSizesOrQueryChunks() {
    AttributionTask t = Fixtures.conv(33, 11, 5);
    List<Tensor> p = Fixtures.values(t.model());
    KroneckerCurvature c = Ekfac.ekfac(t, p, FitOptions.defaults().withBatchSize(4));
    Preconditioner pre = Preconditioners.kronecker(c, Damping.meanEigenvalue(0.1));
    Scores a = InfluenceFunctions.pairwise(t, p, pre, new ScoreOptions(11, 5, 0));
    Scores b = InfluenceFunctions.pairwise(t, p, pre, new ScoreOptions(3, 2, 2));
    assertTrue(Fixtures.relativeError(a.values(), b.values()) < 1e-13);
    Scores sa = InfluenceFunctions.selfInfluence(t, p, pre, new ScoreOptions(11, 5, 0));
    Scores sb = InfluenceFunctions.selfInfluence(t, p, pre, new ScoreOptions(4, 5, 0));
    assertTrue(Fixtures.relativeError(sa.values(), sb.values()) < 1e-13);
  }

  /**
   * Each preconditioner's own self-influence path, ∇L_mᵀ P ∇L_m, equals the diagonal of its pairwise
   * scores with the training set as queries and the training loss as measurement, for the identity,
   * explicit, diagonal, EK-FAC, K-FAC, conjugate-gradient and LiSSA preconditioners (LiSSA must have
   * converged: fewer iterations than its cap), and for the gradient dot product and cosine.
   */
  @Test
  void selfInfluenceIsTheDiagonalOfThePairwiseMatrixForEveryMethod() {
    for (AttributionTask task : List.of(Fixtures.classification(34, 9, 1, 3, 3, 4, 3), Fixtures.conv(35, 6, 1))) {
      AttributionTask t = task.trainAsQueries();
      List<Tensor> p = Fixtures.values(t.model());
      FitOptions fo = FitOptions.defaults().withBatchSize(4);
      DenseCurvature gn = DenseCurvature.fisher(t, p, EXPECTED);
      Damping d = Damping.meanEigenvalue(0.1);
      double lambda = 0.1 * gn.meanEigenvalue(), lmax = gn.eigen().values()[gn.eigen().size() - 1] + lambda;
      List<Preconditioner> ps = List.of(
          Preconditioners.identity(),
          Preconditioners.explicit(gn, d),
          Preconditioners.diagonal(DiagonalCurvature.fit(t, p, FitOptions.of(FisherType.EMPIRICAL)), d),
          Preconditioners.kronecker(Ekfac.ekfac(t, p, fo), d),
          Preconditioners.kronecker(Ekfac.kfac(t, p, fo), d),
          Preconditioners.conjugateGradient(gn.operator(), "dense", Damping.of(lambda), 1e-13, 500),
          Preconditioners.lissa(gn.operator(), "dense", Damping.of(lambda), 0.55 * lmax, 1e-13, 100000));
      for (Preconditioner pre : ps) {
        double[] diag = InfluenceFunctions.pairwise(t, p, pre, ScoreOptions.defaults().withTrainBatchSize(4)).selfValues();
        double[] self = InfluenceFunctions.selfInfluence(t, p, pre, ScoreOptions.defaults().withTrainBatchSize(4)).selfValues();
        assertTrue(Fixtures.relativeError(diag, self) < 1e-9, pre.name() + ": " + Fixtures.relativeError(diag, self));
        if (pre.name().startsWith("lissa")) assertTrue(Integer.parseInt(pre.settings().get("iterations_max")) < 100000, "LiSSA did not converge");
      }
      assertTrue(Fixtures.relativeError(GradientSimilarity.dot(t, p, SO).selfValues(), GradientSimilarity.selfDot(t, p, SO).selfValues()) < 1e-12);
      assertTrue(Fixtures.relativeError(GradientSimilarity.cosine(t, p, SO).selfValues(), GradientSimilarity.selfCosine(t, p, SO).selfValues()) < 1e-12);
    }
  }

  /**
   * K-FAC / EK-FAC self-influence in rank-one form, Σ_ab φ(Λ)_ab (Q_Sᵀg)_a² (Q_Aᵀā)_b² per block,
   * equals gₙᵀ P gₙ with P applied to the materialised per-example gradients (the interface's
   * default), on an MLP (rank one throughout) and a convnet (rotated per-example sums).
   */
  @Test
  void kroneckerSelfInfluenceEqualsTheQuadraticFormOfTheMaterialisedGradients() {
    for (AttributionTask t : List.of(Fixtures.classification(41, 10, 1, 3, 4, 5, 3), Fixtures.conv(42, 7, 1))) {
      List<Tensor> p = Fixtures.values(t.model());
      FitOptions fo = FitOptions.defaults().withBatchSize(4);
      for (KroneckerCurvature c : List.of(Ekfac.ekfac(t, p, fo), Ekfac.kfac(t, p, fo))) {
        Preconditioner pre = Preconditioners.kronecker(c, Damping.meanEigenvalue(0.1));
        Preconditioner materialised = new Preconditioner() {
          public String name() { return "materialised"; }

          public java.util.Map<String, String> settings() { return java.util.Map.of(); }

          public Tensor apply(Tensor g) { return pre.apply(g); }
        };
        dev.unroll.tda.grad.Gradients.forEachTrainingBatch(t, p, 4, b -> {
          double[] want = materialised.selfInfluence(b), got = pre.selfInfluence(b);
          assertTrue(Fixtures.relativeError(want, got) < 1e-11, c.kind() + ": relative error " + Fixtures.relativeError(want, got));
        });
      }
    }
  }

  @Test
  void eigenbasisScoringEqualsPreconditioningTheQueryGradients() {
    // The MLP's blocks are scored in the Kronecker eigenbasis, the convolutions by the default path.
    for (AttributionTask t : List.of(Fixtures.classification(38, 13, 4, 3, 3, 5, 3), Fixtures.conv(39, 9, 3))) {
      List<Tensor> p = Fixtures.values(t.model());
      Preconditioner pre = Preconditioners.kronecker(Ekfac.ekfac(t, p, FitOptions.defaults().withBatchSize(5)), Damping.meanEigenvalue(0.1));
      double[][] direct = dev.unroll.tda.grad.GradientDots.pairwise(t, p, pre.apply(dev.unroll.tda.grad.Gradients.queries(t, p, 2)), 4);
      double[][] eigen = InfluenceFunctions.pairwise(t, p, pre, new ScoreOptions(4, 3, 0)).values();
      assertTrue(Fixtures.relativeError(direct, eigen) < 1e-12, "relative error " + Fixtures.relativeError(direct, eigen));
    }
  }

  @Test
  void perLayerScoresSumToTheTotal() {
    AttributionTask t = Fixtures.conv(36, 8, 3);
    List<Tensor> p = Fixtures.values(t.model());
    for (Preconditioner pre : List.of(Preconditioners.kronecker(Ekfac.ekfac(t, p, FitOptions.defaults()), Damping.meanEigenvalue(0.1)),
        Preconditioners.explicit(DenseCurvature.fisher(t, p, EXPECTED), Damping.meanEigenvalue(0.1)))) {
      Scores total = InfluenceFunctions.pairwise(t, p, pre, SO);
      List<Scores> layers = InfluenceFunctions.perLayer(t, p, pre, SO);
      assertEquals(t.layout().numBlocks(), layers.size());
      double[][] sum = new double[total.numQueries()][total.numTrain()];
      for (Scores l : layers) for (int i = 0; i < sum.length; i++) for (int j = 0; j < sum[i].length; j++) sum[i][j] += l.get(i, j);
      assertTrue(Fixtures.relativeError(total.values(), sum) < 1e-12);
      assertTrue(layers.get(0).method().endsWith("/layer=0"), layers.get(0).method());
    }
  }

  @Test
  void dampingRulesAreRecordedAndResolved() {
    AttributionTask t = Fixtures.regression(37, 8, 2, 3, 4, 1);
    List<Tensor> p = Fixtures.values(t.model());
    KroneckerCurvature c = Ekfac.ekfac(t, p, EXPECTED);
    Scores s = InfluenceFunctions.pairwise(t, p, Preconditioners.kronecker(c, Damping.meanEigenvalue(0.1)), SO);
    assertEquals("0.1*mean_eigenvalue", s.settings().get("damping"));
    double[] values = c.dampingValues(Damping.meanEigenvalue(0.1));
    assertEquals(0.1 * c.meanEigenvalue(0), values[0], 1e-15);
    assertEquals(1.0 / 8, s.effectScale());
    assertEquals(1 / (0.01 * 1000 / (1 - 0.9)), Damping.learningTime(0.01, 1000, 0.9).resolve(Double.NaN), 1e-15);
    assertThrows(IllegalArgumentException.class, () -> Preconditioners.conjugateGradient(LinearOperator.dense(new double[][] {{1}}), "x", Damping.meanEigenvalue(0.1), 1e-8, 10));
    assertTrue(SymmetricEigen.of(new double[][] {{2}}).values()[0] == 2);
  }
}
