package dev.unroll.tda.methods;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The baselines' scores do not depend on how the examples are batched: gradient dot product and
 * cosine, representation similarity and TRAK give the same matrix (and self-influence) with one
 * batch, batches of 2 and 3 that do not divide the sets, and queries in chunks, to rounding (1e-13 of the largest score; 1e-10 for TRAK).
 */
class BatchInvarianceTest {
  static final ScoreOptions WHOLE = new ScoreOptions(64, 64, 0), SMALL = new ScoreOptions(3, 2, 2);

  private static void same(double[][] a, double[][] b, String what) {
    same(a, b, 1e-13, what);
  }

  private static void same(double[][] a, double[][] b, double tol, String what) {
    double err = Fixtures.relativeError(a, b);
    assertTrue(err < tol, what + ": relative error " + err);
  }

  @Test
  void gradientSimilarityAndRepresentationSimilarity() {
    for (AttributionTask t : List.of(Fixtures.regression(41, 11, 5, 3, 4, 1), Fixtures.classification(42, 11, 5, 3, 3, 4, 3), Fixtures.conv(43, 7, 4))) {
      List<Tensor> p = Fixtures.values(t.model());
      same(GradientSimilarity.dot(t, p, WHOLE).values(), GradientSimilarity.dot(t, p, SMALL).values(), "grad-dot " + t);
      same(GradientSimilarity.cosine(t, p, WHOLE).values(), GradientSimilarity.cosine(t, p, SMALL).values(), "grad-cos " + t);
      same(GradientSimilarity.selfDot(t, p, WHOLE).values(), GradientSimilarity.selfDot(t, p, SMALL).values(), "self grad-dot " + t);
      for (RepresentationSimilarity.Similarity s : RepresentationSimilarity.Similarity.values()) {
        same(RepresentationSimilarity.scores(t, p, null, s, WHOLE).values(), RepresentationSimilarity.scores(t, p, null, s, SMALL).values(), "repsim " + s + " " + t);
      }
    }
  }

  @Test
  void trakForBothKernels() {
    for (AttributionTask t : List.of(Fixtures.regression(44, 11, 5, 3, 4, 1), Fixtures.classification(45, 11, 5, 3, 3, 4, 3))) {
      List<List<Tensor>> models = List.of(Fixtures.values(t.model()));
      // TRAK solves with its kernel matrix, which amplifies the rounding of sums taken in another order.
      for (Trak.Kernel k : Trak.Kernel.values()) {
        Trak.Options o = Trak.Options.defaults(8).withKernel(k);
        same(Trak.scores(t, models, o.withBatchSize(64)).values(), Trak.scores(t, models, o.withBatchSize(3)).values(), 1e-10, "TRAK " + k + " " + t);
        same(Trak.selfInfluence(t, models, o.withBatchSize(64)).values(), Trak.selfInfluence(t, models, o.withBatchSize(2)).values(), 1e-10, "TRAK self " + k + " " + t);
      }
    }
  }
}
