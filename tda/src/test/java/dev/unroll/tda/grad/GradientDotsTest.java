package dev.unroll.tda.grad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Streamed scoring against dot products with explicitly formed per-example gradients. */
class GradientDotsTest {
  static double[][] reference(AttributionTask t, List<Tensor> p, Tensor u) {
    double[] g = Gradients.allTraining(t, p, 100).toDoubleArray(), uu = u.toDoubleArray();
    int pd = t.layout().size(), q = u.dim(0), n = t.numTrain();
    double[][] out = new double[q][n];
    for (int i = 0; i < q; i++) for (int m = 0; m < n; m++) for (int j = 0; j < pd; j++) out[i][m] += uu[i * pd + j] * g[m * pd + j];
    return out;
  }

  @Test
  void rankOneAndMaterialisedBlocksGiveTheExplicitDotProducts() {
    // The MLP's blocks take the rank-one path, the convolutions the materialised one.
    for (AttributionTask t : List.of(Fixtures.classification(71, 9, 1, 3, 3, 4, 3), Fixtures.conv(72, 7, 1))) {
      List<Tensor> p = Fixtures.values(t.model());
      Tensor u = Tensor.randn(new Rng(73), DType.F64, 4, t.layout().size());
      double[][] expected = reference(t, p, u);
      assertTrue(Fixtures.relativeError(expected, GradientDots.pairwise(t, p, u, 4)) < 1e-13);
      double[][][] per = GradientDots.pairwisePerBlock(t, p, u, 3);
      double[][] sum = new double[4][t.numTrain()];
      for (double[][] b : per) for (int i = 0; i < 4; i++) for (int m = 0; m < t.numTrain(); m++) sum[i][m] += b[i][m];
      assertTrue(Fixtures.relativeError(expected, sum) < 1e-13);
    }
  }

  @Test
  void rankOneBlocksScoredInSeveralQueryChunksGiveTheExplicitDotProducts() {
    // Block 0 has 64 outputs: 40 examples × 64 × 60 queries exceeds one chunk of the product.
    AttributionTask t = Fixtures.classification(76, 40, 1, 3, 3, 64, 3);
    assertTrue(40 * 64 * 60 > dev.unroll.autodiff.RankOneDots.CHUNK_ELEMENTS);
    List<Tensor> p = Fixtures.values(t.model());
    Tensor u = Tensor.randn(new Rng(77), DType.F64, 60, t.layout().size());
    assertTrue(Fixtures.relativeError(reference(t, p, u), GradientDots.pairwise(t, p, u, 40)) < 1e-13);
  }

  @Test
  void subTaskScoresLandInTheParentColumns() {
    AttributionTask t = Fixtures.regression(74, 10, 1, 3, 4, 1);
    List<Tensor> p = Fixtures.values(t.model());
    Tensor u = Tensor.randn(new Rng(75), DType.F64, 2, t.layout().size());
    double[][] full = GradientDots.pairwise(t, p, u, 4);
    int[] stage = {7, 2, 5};
    AttributionTask sub = t.withTrain(t.train().subset(stage));
    double[][] into = new double[2][10];
    GradientDots.accumulate(sub, p, u, 2, 0.5, into, sub.train().parentIndices());
    for (int q = 0; q < 2; q++) {
      for (int m = 0; m < 10; m++) {
        boolean in = m == 7 || m == 2 || m == 5;
        assertEquals(in ? 0.5 * full[q][m] : 0.0, into[q][m], 1e-14 * Math.abs(full[q][m]) + 0.0);
      }
    }
  }
}
