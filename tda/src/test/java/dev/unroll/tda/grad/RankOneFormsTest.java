package dev.unroll.tda.grad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rank-one forms of per-example gradients (‖g āᵀ‖² = ‖g‖²‖ā‖², the factors g, ā themselves)
 * against the materialised per-example gradients in float64, on an MLP (every block rank one) and a
 * small convnet (its convolutions take the general path, its Linear head the rank-one one).
 */
class RankOneFormsTest {
  @Test
  void squaredNormsEqualThoseOfTheMaterialisedPerExampleGradients() {
    for (AttributionTask t : List.of(Fixtures.classification(61, 9, 1, 3, 4, 5, 3), Fixtures.regression(62, 7, 1, 3, 6, 1), Fixtures.conv(63, 7, 1))) {
      List<Tensor> p = Fixtures.values(t.model());
      int pd = t.layout().size();
      double[] g = Gradients.allTraining(t, p, 7).toDoubleArray();
      double[] want = new double[t.numTrain()];
      for (int n = 0; n < want.length; n++) for (int j = 0; j < pd; j++) want[n] += g[n * pd + j] * g[n * pd + j];
      double[] got = new double[t.numTrain()];
      Gradients.forEachTrainingBatch(t, p, 4, b -> System.arraycopy(b.squaredNorms(), 0, got, b.start(), b.size()));
      assertTrue(Fixtures.relativeError(want, got) < 1e-12, "relative error " + Fixtures.relativeError(want, got));
      for (double v : want) assertTrue(v > 0, "a zero gradient would make the comparison weak");
    }
  }

  @Test
  void perBlockNormsAndFactorsReproduceEachBlocksPerExampleGradients() {
    for (AttributionTask t : List.of(Fixtures.classification(64, 6, 1, 3, 4, 5, 3), Fixtures.conv(65, 5, 1))) {
      List<Tensor> p = Fixtures.values(t.model());
      Gradients.forEachTrainingBatch(t, p, 6, b -> {
        CapturedPass pass = b.pass();
        for (int k = 0; k < t.layout().numBlocks(); k++) {
          GradientLayout.Block bl = t.layout().block(k);
          double[] m = pass.blockGradient(k, b.outputGradients()).to(DType.F64).toDoubleArray();
          double[] norms = pass.blockSquaredNorms(k, b.outputGradients()).toDoubleArray();
          Tensor[] f = pass.rankOneFactors(k, b.outputGradients());
          assertEquals(pass.isRankOne(k), f != null);
          int size = bl.out() * bl.in();
          for (int n = 0; n < b.size(); n++) {
            double s = 0;
            for (int j = 0; j < size; j++) s += m[n * size + j] * m[n * size + j];
            assertEquals(s, norms[n], 1e-13 * s, "block " + bl.name() + ", example " + n);
          }
          if (f == null) continue;
          double[] gr = f[0].toDoubleArray(), a = f[1].toDoubleArray();
          for (int n = 0; n < b.size(); n++) {
            for (int o = 0; o < bl.out(); o++) for (int i = 0; i < bl.in(); i++) {
              assertEquals(m[n * size + o * bl.in() + i], gr[n * bl.out() + o] * a[n * bl.in() + i], 1e-15, "block " + bl.name());
            }
            if (bl.hasBias()) assertEquals(1.0, a[n * bl.in() + bl.in() - 1], 0.0, "the bias column of ā is the constant 1");
          }
        }
      });
    }
    // The convnet's convolutions are not rank one; its Linear head is.
    AttributionTask conv = Fixtures.conv(66, 3, 1);
    Gradients.forEachTrainingBatch(conv, Fixtures.values(conv.model()), 3, b -> {
      assertNull(b.pass().rankOneFactors(0, b.outputGradients()));
      assertNotNull(b.pass().rankOneFactors(conv.layout().numBlocks() - 1, b.outputGradients()));
    });
  }
}
