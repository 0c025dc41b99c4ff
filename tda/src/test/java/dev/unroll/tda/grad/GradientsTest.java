package dev.unroll.tda.grad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Module;
import dev.unroll.nn.Parameter;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-example gradients in block order against one autodiff gradient per example. */
class GradientsTest {
  /** ∇_θ L(zᵢ) by plain autodiff on example i alone, flattened to block order. */
  static double[] referenceGradient(AttributionTask t, List<Tensor> params, int i) {
    Module m = t.model();
    Batch b = t.train().batch(new int[] {i});
    List<Tensor> leaves = CapturedPass.leaves(params);
    Tensor loss = m.withParameters(leaves, () -> t.loss().sum(m.forward(b.x()), b.y()));
    return t.layout().flatten(Derivatives.gradient(loss, leaves)).toDoubleArray();
  }

  static void checkAgainstReference(AttributionTask t) {
    List<Tensor> params = Fixtures.values(t.model());
    Tensor all = Gradients.allTraining(t, params, 3);
    assertEquals(t.numTrain(), all.dim(0));
    assertEquals(t.layout().size(), all.dim(1));
    double[] flat = all.toDoubleArray();
    int p = t.layout().size();
    for (int i = 0; i < t.numTrain(); i++) {
      double[] ref = referenceGradient(t, params, i);
      double[] got = java.util.Arrays.copyOfRange(flat, i * p, (i + 1) * p);
      assertTrue(Fixtures.relativeError(ref, got) < 1e-12, "example " + i + ": relative error " + Fixtures.relativeError(ref, got));
    }
  }

  @Test
  void mlpPerExampleGradientsMatchSingleExampleAutodiff() {
    checkAgainstReference(Fixtures.regression(1, 7, 2, 3, 5, 4, 1));
  }

  @Test
  void convPerExampleGradientsMatchSingleExampleAutodiff() {
    checkAgainstReference(Fixtures.conv(2, 5, 2));
  }

  @Test
  void layoutPermutationRoundTripsAndMapsWeightsAndBiases() {
    AttributionTask t = Fixtures.regression(3, 4, 1, 3, 2, 1);
    GradientLayout l = t.layout();
    assertEquals(2, l.numBlocks());
    assertEquals(2, l.block(0).out());
    assertEquals(4, l.block(0).in());
    List<Parameter> ps = t.model().parameters();
    // Block 0 row o is [W[o, 0..2], b[o]].
    double[] blockFlat = l.flatten(Fixtures.values(t.model())).toDoubleArray();
    Tensor w = ps.get(0).value(), b = ps.get(1).value();
    for (int o = 0; o < 2; o++) {
      for (int j = 0; j < 3; j++) assertEquals(w.get(o, j), blockFlat[o * 4 + j]);
      assertEquals(b.get(o), blockFlat[o * 4 + 3]);
    }
    Rng r = new Rng(4);
    double[] v = new double[l.size()];
    for (int i = 0; i < v.length; i++) v[i] = r.normal();
    assertArrayEquals(v, l.toParameterOrder(l.toBlockOrder(v)));
    assertArrayEquals(v, l.toBlockOrder(Tensor.of(l.toParameterOrder(v), 1, v.length)).toDoubleArray());
    List<Tensor> split = l.unflatten(Tensor.of(blockFlat, blockFlat.length));
    for (int i = 0; i < ps.size(); i++) assertArrayEquals(ps.get(i).value().toDoubleArray(), split.get(i).toDoubleArray());
  }

  @Test
  void queryGradientsDoNotDependOnTheBatchSize() {
    AttributionTask t = Fixtures.classification(5, 6, 7, 3, 4, 6, 3);
    List<Tensor> params = Fixtures.values(t.model());
    double[] a = Gradients.queries(t, params, 7).toDoubleArray();
    double[] b = Gradients.queries(t, params, 2).toDoubleArray();
    assertTrue(Fixtures.relativeError(a, b) < 1e-14);
  }

  @Test
  void parametersOfOtherModulesAreRefused() {
    Module odd = new Module() {
      {
        addParameter("scale", Tensor.ones(DType.F64, 1));
      }

      @Override
      public Tensor forward(Tensor x) {
        return x;
      }
    };
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GradientLayout.of(odd));
    assertTrue(e.getMessage().contains("Linear or Conv2d"), e.getMessage());
  }
}
