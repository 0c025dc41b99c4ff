package dev.unroll.tda.methods;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Mlp;
import dev.unroll.nn.Module;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.Fixtures;
import dev.unroll.tda.Scores;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.FitOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

/** TRAK, representation similarity, gradient similarity and ensembles against direct computations. */
class BaselinesTest {
  static final ScoreOptions SO = ScoreOptions.defaults().withTrainBatchSize(7);

  @Test
  void projectionIsDeterministicPreservesNormsAndDoesNotDependOnCaching() {
    Rng r = new Rng(51);
    Tensor x = Tensor.randn(r, DType.F64, 3, 300);
    for (RandomProjection.Kind kind : RandomProjection.Kind.values()) {
      RandomProjection cached = new RandomProjection(300, 4000, kind, 7, DType.F64, 1L << 30);
      RandomProjection regenerated = new RandomProjection(300, 4000, kind, 7, DType.F64, 0);
      double[] a = cached.project(x).toDoubleArray();
      assertArrayEquals(a, cached.project(x).toDoubleArray());
      assertArrayEquals(a, regenerated.project(x).toDoubleArray());
      double[] xs = x.toDoubleArray();
      for (int i = 0; i < 3; i++) {
        double n0 = 0, n1 = 0;
        for (int j = 0; j < 300; j++) n0 += xs[i * 300 + j] * xs[i * 300 + j];
        for (int j = 0; j < 4000; j++) n1 += a[i * 4000 + j] * a[i * 4000 + j];
        assertEquals(1.0, n1 / n0, 0.1, kind + ": squared norm ratio");
      }
      assertTrue(Math.abs(a[0] - new RandomProjection(300, 4000, kind, 8, DType.F64, 0).project(x).toDoubleArray()[0]) > 0);
    }
  }

  @Test
  void trakWithAFullRankProjectionIsTheEmpiricalFisherInfluence() {
    // With k = P, R invertible and no damping, (Rg_q)ᵀ(RᵀFR)⁻¹(Rg_m) = g_qᵀ F⁻¹ g_m.
    AttributionTask t = Fixtures.regression(52, 200, 4, 3, 4, 1);
    List<Tensor> p = Fixtures.train(t, 100, 0.1, 0);
    int pDim = t.layout().size();
    Scores trak = Trak.scores(t, List.of(p), Trak.Options.defaults(pDim).withProjection(RandomProjection.Kind.GAUSSIAN).withDamping(Damping.of(0)).withBatchSize(16));
    Scores exact = InfluenceFunctions.explicitFisher(t, p, FitOptions.of(FisherType.EMPIRICAL), Damping.of(0), SO);
    double err = Fixtures.relativeError(exact.values(), trak.values());
    assertTrue(err < 1e-8, "TRAK(k = P) vs the empirical-Fisher influence: " + err);
    assertEquals(1.0 / 200, trak.effectScale());
  }

  @Test
  void trakEnsembleIsTheMeanOfItsMembersAndSelfInfluenceIsTheDiagonal() {
    AttributionTask t = Fixtures.classification(53, 20, 3, 3, 3, 5, 3);
    List<Tensor> a = Fixtures.values(t.model());
    List<Tensor> b = Fixtures.train(t, 30, 0.3, 0);
    for (Trak.Kernel kernel : Trak.Kernel.values()) {
      Trak.Options o = Trak.Options.defaults(16).withKernel(kernel).withBatchSize(6).withDamping(Damping.meanEigenvalue(1e-3));
      Scores both = Trak.scores(t, List.of(a, b), o);
      Scores first = Trak.scores(t, List.of(a), o);
      Scores second = Trak.scores(t, List.of(b), o.withSeed(o.seed() + 1));
      assertTrue(Fixtures.relativeError(Scores.average(List.of(first, second)).values(), both.values()) < 1e-12);
      AttributionTask self = t.trainAsQueries();
      double[] diag = Trak.scores(self, List.of(a), o).selfValues();
      assertTrue(Fixtures.relativeError(diag, Trak.selfInfluence(self, List.of(a), o).selfValues()) < 1e-10, kernel.name());
    }
  }

  @Test
  void representationSimilarityUsesTheLastLayerInputAndIsOriented() {
    AttributionTask t = Fixtures.classification(54, 8, 3, 3, 3, 5, 3);
    List<Tensor> p = Fixtures.values(t.model());
    // The last Linear's input is tanh of the first layer's output.
    Module first = ((Mlp) t.model()).layers().get(0), act = ((Mlp) t.model()).layers().get(1);
    double[] hq = act.forward(first.forward(t.queries().x())).toDoubleArray(), ht = act.forward(first.forward(t.train().x())).toDoubleArray();
    Scores dot = RepresentationSimilarity.scores(t, p, null, RepresentationSimilarity.Similarity.DOT, SO);
    Scores cos = RepresentationSimilarity.scores(t, p, "layers.2", RepresentationSimilarity.Similarity.COSINE, SO);
    Scores l2 = RepresentationSimilarity.scores(t, p, null, RepresentationSimilarity.Similarity.NEGATIVE_L2, SO);
    for (int q = 0; q < 3; q++) {
      for (int m = 0; m < 8; m++) {
        double d = 0, nq = 0, nm = 0, dist = 0;
        for (int j = 0; j < 5; j++) {
          d += hq[q * 5 + j] * ht[m * 5 + j];
          nq += hq[q * 5 + j] * hq[q * 5 + j];
          nm += ht[m * 5 + j] * ht[m * 5 + j];
          dist += Math.pow(hq[q * 5 + j] - ht[m * 5 + j], 2);
        }
        // The margin is higher-is-better: similarity enters with orientation −1.
        assertEquals(-d, dot.get(q, m), 1e-12);
        assertEquals(-d / Math.sqrt(nq * nm), cos.get(q, m), 1e-12);
        assertEquals(Math.sqrt(dist), l2.get(q, m), 1e-7);
      }
    }
    AttributionTask self = t.trainAsQueries();
    for (RepresentationSimilarity.Similarity s : RepresentationSimilarity.Similarity.values()) {
      double[] diag = RepresentationSimilarity.scores(self, p, null, s, SO).selfValues();
      assertTrue(Fixtures.relativeError(diag, RepresentationSimilarity.selfInfluence(self, p, null, s, SO).selfValues()) < 1e-7 || s == RepresentationSimilarity.Similarity.NEGATIVE_L2);
    }
    assertThrows(IllegalArgumentException.class, () -> RepresentationSimilarity.scores(t, p, "nope", RepresentationSimilarity.Similarity.DOT, SO));
  }

  /**
   * Dot, cosine and the dot's self-influence against the materialised per-example gradients, on a
   * convnet (general path) and an MLP (rank-one norms and dots).
   */
  @Test
  void gradientSimilarityMatchesPerExampleGradients() {
    for (AttributionTask t : List.of(Fixtures.conv(55, 6, 2), Fixtures.classification(57, 6, 2, 3, 4, 5, 3))) {
      List<Tensor> p = Fixtures.values(t.model());
      double[] g = dev.unroll.tda.grad.Gradients.allTraining(t, p, 6).toDoubleArray();
      double[] q = dev.unroll.tda.grad.Gradients.queries(t, p, 2).toDoubleArray();
      int pd = t.layout().size();
      ScoreOptions so = SO.withTrainBatchSize(4);
      Scores dot = GradientSimilarity.dot(t, p, so), cos = GradientSimilarity.cosine(t, p, so), self = GradientSimilarity.selfDot(t, p, so);
      for (int m = 0; m < 6; m++) {
        double b = 0;
        for (int j = 0; j < pd; j++) b += g[m * pd + j] * g[m * pd + j];
        assertEquals(b, self.selfValues()[m], 1e-12 * b);
        for (int i = 0; i < 2; i++) {
          double d = 0, a = 0;
          for (int j = 0; j < pd; j++) {
            d += q[i * pd + j] * g[m * pd + j];
            a += q[i * pd + j] * q[i * pd + j];
          }
          assertEquals(d, dot.get(i, m), 1e-12 * Math.sqrt(a * b));
          assertEquals(d / Math.sqrt(a * b), cos.get(i, m), 1e-12);
        }
      }
      assertTrue(Double.isNaN(dot.effectScale()));
    }
  }

  /**
   * Self-influence measures the training loss whatever the task's measurement: under the margin
   * (orientation −1 for pairwise scores) the representation's self-influence is still the diagonal
   * of its scores with the training loss as measurement, ‖h‖² ≥ 0 for the dot product.
   */
  @Test
  void representationSelfInfluenceIsOrientedByTheTrainingLossNotTheQueryMeasurement() {
    AttributionTask t = Fixtures.classification(58, 7, 2, 3, 3, 5, 3);
    assertEquals(-1.0, RepresentationSimilarity.defaultOrientation(t.measurement()));
    List<Tensor> p = Fixtures.values(t.model());
    Tensor h = RepresentationSimilarity.features(t, p, t.train(), null, 7);
    double[] hs = h.toDoubleArray();
    int f = h.dim(1);
    for (RepresentationSimilarity.Similarity s : RepresentationSimilarity.Similarity.values()) {
      Scores self = RepresentationSimilarity.selfInfluence(t, p, null, s, SO);
      double[] diag = RepresentationSimilarity.scores(t.trainAsQueries(), p, null, s, SO).selfValues();
      assertTrue(Fixtures.relativeError(diag, self.selfValues()) < 1e-7 || s == RepresentationSimilarity.Similarity.NEGATIVE_L2, s.name());
      assertEquals("1.0", self.settings().get("orientation"));
      for (int m = 0; m < 7; m++) {
        double n2 = 0;
        for (int j = 0; j < f; j++) n2 += hs[m * f + j] * hs[m * f + j];
        double want = switch (s) {
          case DOT -> n2;
          case COSINE -> 1;
          case NEGATIVE_L2 -> 0;
        };
        assertEquals(want, self.selfValues()[m], 1e-12 * Math.max(1, n2), s.name());
      }
    }
  }

  @Test
  void ensemblesAverageAnyMethodOverMembers() {
    AttributionTask t = Fixtures.regression(56, 6, 2, 2, 3, 1);
    List<Tensor> a = Fixtures.values(t.model()), b = Fixtures.train(t, 10, 0.1, 0);
    Scores e = Ensembles.over(List.of(a, b), ps -> GradientSimilarity.dot(t, ps, SO));
    Scores sa = GradientSimilarity.dot(t, a, SO), sb = GradientSimilarity.dot(t, b, SO);
    for (int q = 0; q < 2; q++) for (int m = 0; m < 6; m++) assertEquals((sa.get(q, m) + sb.get(q, m)) / 2, e.get(q, m), 1e-15);
    assertEquals("ensemble/gradient-dot", e.method());
    assertEquals("2", e.settings().get("ensemble_size"));
  }
}
