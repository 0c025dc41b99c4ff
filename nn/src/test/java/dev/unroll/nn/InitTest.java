package dev.unroll.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** PyTorch's default initialisation: bounds, moments and determinism. */
class InitTest {
  @Test
  void linearWeightsAndBiasesAreUniformWithinOneOverSqrtFanIn() {
    int in = 50, out = 400;
    Linear l = new Linear(in, out, DType.F64, new Rng(1));
    double bound = 1 / Math.sqrt(in);
    double[] w = l.weight().value().toDoubleArray();
    double sum = 0, sq = 0, max = 0;
    for (double v : w) {
      assertTrue(Math.abs(v) <= bound);
      sum += v;
      sq += v * v;
      max = Math.max(max, Math.abs(v));
    }
    int n = w.length;
    // U(-b, b): mean 0, variance b²/3; 20000 draws put both within a few standard errors.
    assertEquals(0, sum / n, 4 * bound / Math.sqrt(3 * n));
    assertEquals(bound * bound / 3, sq / n, 4 * bound * bound * Math.sqrt(4.0 / 45 / n));
    assertTrue(max > 0.99 * bound, "the draws should reach close to the bound");
    for (double v : l.bias().value().toDoubleArray()) assertTrue(Math.abs(v) <= bound);
  }

  @Test
  void convFanInIsChannelsTimesKernel() {
    Conv2d c = new Conv2d(3, 8, 5, 1, 2, DType.F32, new Rng(2));
    double bound = 1 / Math.sqrt(3 * 25);
    double max = 0;
    for (double v : c.weight().value().toDoubleArray()) max = Math.max(max, Math.abs(v));
    assertTrue(max <= bound && max > 0.95 * bound, "max |w| = " + max + ", bound " + bound);
    for (double v : c.bias().value().toDoubleArray()) assertTrue(Math.abs(v) <= bound);
  }

  @Test
  void sameSeedSameParametersBitForBit() {
    List<Parameter> a = Mlp.of(DType.F32, new Rng(42), Activation.RELU, 8, 16, 4).parameters();
    List<Parameter> b = Mlp.of(DType.F32, new Rng(42), Activation.RELU, 8, 16, 4).parameters();
    List<Parameter> c = Mlp.of(DType.F32, new Rng(43), Activation.RELU, 8, 16, 4).parameters();
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.get(i).value().toFloatArray(), b.get(i).value().toFloatArray());
    }
    assertFalse(Arrays.equals(a.get(0).value().toFloatArray(), c.get(0).value().toFloatArray()));
  }
}
