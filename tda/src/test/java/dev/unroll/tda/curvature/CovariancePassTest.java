package dev.unroll.tda.curvature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The eigenvalue correction from the covariance pass's kept rows against the correction from a
 * fresh pass: the same rows summed in the same order, so equal bits. (Against its definition, the
 * diagonal of the exact Gauss-Newton block in the Kronecker basis: {@code CurvatureFitTest}, through
 * {@link Ekfac#ekfac}, which keeps the rows.)
 */
class CovariancePassTest {
  /** The correction's blocks as arrays, for exact comparison. */
  private static double[][] values(List<Tensor> lambda) {
    double[][] out = new double[lambda.size()][];
    for (int b = 0; b < out.length; b++) out[b] = lambda.get(b).toDoubleArray();
    return out;
  }

  private static void keptRowsGiveTheFreshPassCorrection(AttributionTask t, List<Tensor> p, FitOptions o) {
    CovariancePass kept = Ekfac.covariancePass(t, p, o, Long.MAX_VALUE);
    CovariancePass unkept = Ekfac.covariancePass(t, p, o, 0);
    assertTrue(kept.keptRows());
    assertFalse(unkept.keptRows());
    for (int b = 0; b < t.layout().numBlocks(); b++) {
      assertArrayEquals(unkept.factors().a().get(b).toDoubleArray(), kept.factors().a().get(b).toDoubleArray());
      assertArrayEquals(unkept.factors().s().get(b).toDoubleArray(), kept.factors().s().get(b).toDoubleArray());
    }
    KroneckerBasis basis = kept.factors().eigenbasis();
    double[][] fromRows = values(kept.correction(basis)), fresh = values(Ekfac.correction(t, p, basis, o)), unkeptFresh = values(unkept.correction(basis));
    for (int b = 0; b < fromRows.length; b++) {
      assertArrayEquals(fresh[b], fromRows[b], "block " + b);
      assertArrayEquals(fresh[b], unkeptFresh[b], "block " + b);
    }
  }

  @Test
  void keptRowsGiveBitIdenticalCorrectionsForMlpsAndConvolutions() {
    AttributionTask mlp = Fixtures.classification(11, 23, 2, 3, 4, 5, 3);
    List<Tensor> pm = Fixtures.train(mlp, 4, 0.3, 0);
    // One sampled direction per example, several sampled ones, and one per class; batches that do not divide N.
    keptRowsGiveTheFreshPassCorrection(mlp, pm, FitOptions.defaults().withBatchSize(7));
    keptRowsGiveTheFreshPassCorrection(mlp, pm, FitOptions.defaults().withSamples(3).withBatchSize(5));
    keptRowsGiveTheFreshPassCorrection(mlp, pm, FitOptions.of(FisherType.EXPECTED).withBatchSize(10));
    AttributionTask conv = Fixtures.conv(12, 9, 2);
    keptRowsGiveTheFreshPassCorrection(conv, Fixtures.values(conv.model()), FitOptions.of(FisherType.EMPIRICAL).withBatchSize(4));
  }

  @Test
  void rowsOverTheBudgetAreNotKept() {
    AttributionTask t = Fixtures.regression(13, 20, 2, 3, 4, 1);
    FitOptions o = FitOptions.of(FisherType.EMPIRICAL).withBatchSize(6);
    // A batch of 6 holds 6·(4 + 5) activation and 6·(4 + 1) gradient rows of float64: a budget of
    // exactly one batch keeps none of the four batches (20 examples).
    assertFalse(Ekfac.covariancePass(t, Fixtures.values(t.model()), o, 6L * 14 * 8).keptRows());
    assertTrue(Ekfac.covariancePass(t, Fixtures.values(t.model()), o, 1L << 20).keptRows());
  }
}
