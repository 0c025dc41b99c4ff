package dev.unroll.tda.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-checkpoint building blocks SOURCE composes: averaged factors, corrections in a shared basis. */
class AveragingTest {
  @Test
  void averagedFactorsAndCorrectionsAreEntrywiseMeans() {
    AttributionTask t = Fixtures.classification(81, 12, 1, 3, 3, 4, 3);
    List<Tensor> a = Fixtures.values(t.model());
    List<Tensor> b = Fixtures.train(t, 5, 0.5, 0);
    FitOptions o = FitOptions.of(FisherType.EXPECTED).withBatchSize(5);
    KroneckerFactors fa = Ekfac.covariances(t, a, o), fb = Ekfac.covariances(t, b, o);
    KroneckerFactors mean = KroneckerFactors.average(List.of(fa, fb));
    for (int k = 0; k < t.layout().numBlocks(); k++) {
      double[] x = fa.s().get(k).toDoubleArray(), y = fb.s().get(k).toDoubleArray(), m = mean.s().get(k).toDoubleArray();
      for (int i = 0; i < m.length; i++) assertEquals((x[i] + y[i]) / 2, m[i], 1e-15 * (Math.abs(x[i]) + Math.abs(y[i])) + 1e-300);
    }
    assertEquals("2", mean.settings().get("averaged_fits"));
    KroneckerBasis basis = mean.eigenbasis();
    List<Tensor> la = Ekfac.correction(t, a, basis, o), lb = Ekfac.correction(t, b, basis, o);
    KroneckerCurvature c = basis.withEigenvalues(Ekfac.averageEigenvalues(List.of(la, lb)), java.util.Map.of("checkpoints", "2"));
    // Λ̄ is the diagonal of the mean of the two exact Gauss-Newton blocks in the shared basis, so its mean is their mean trace.
    double[][] ga = Oracles.gaussNewton(t, a), gb = Oracles.gaussNewton(t, b);
    for (int k = 0; k < t.layout().numBlocks(); k++) {
      double[][] ba = Oracles.block(ga, t.layout(), k), bb = Oracles.block(gb, t.layout(), k);
      double trace = 0;
      for (int i = 0; i < ba.length; i++) trace += (ba[i][i] + bb[i][i]) / 2;
      assertEquals(trace / ba.length, c.meanEigenvalue(k), 1e-12 * Math.abs(trace));
    }
    assertTrue(c.settings().get("checkpoints").equals("2"));
    Tensor g = dev.unroll.tda.grad.Gradients.queries(t, a, 4);
    List<SpectralFunction> gain = java.util.Collections.nCopies(t.layout().numBlocks(), SpectralFunction.segmentGain(3.0));
    List<SpectralFunction> prop = java.util.Collections.nCopies(t.layout().numBlocks(), SpectralFunction.propagate(3.0));
    List<Tensor> both = c.applyAll(List.of(gain, prop), g);
    assertTrue(Fixtures.relativeError(c.apply(gain, g).toDoubleArray(), both.get(0).toDoubleArray()) < 1e-15);
    assertTrue(Fixtures.relativeError(c.apply(prop, g).toDoubleArray(), both.get(1).toDoubleArray()) < 1e-15);
  }
}
