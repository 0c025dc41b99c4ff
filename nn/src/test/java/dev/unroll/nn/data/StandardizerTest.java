package dev.unroll.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Targets;
import org.junit.jupiter.api.Test;

class StandardizerTest {
  @Test
  void matchesHandComputation() {
    // Column 0: 1,2,3,4 -> mean 2.5, population variance (2.25+0.25+0.25+2.25)/4 = 1.25.
    // Column 1: constant 10 -> mean 10, sigma 0 replaced by 1.
    // Column 2: -2, 0, 0, 6 -> mean 1, variance (9+1+1+25)/4 = 9, sigma 3.
    Tensor x = Tensor.of(new double[] {1, 10, -2, 2, 10, 0, 3, 10, 0, 4, 10, 6}, 4, 3);
    Standardizer s = Standardizer.fit(x);
    assertArrayEquals(new double[] {2.5, 10, 1}, s.mean());
    assertArrayEquals(new double[] {Math.sqrt(1.25), 1, 3}, s.std());
    Tensor z = s.transform(x);
    double r = Math.sqrt(1.25);
    assertArrayEquals(new double[] {-1.5 / r, 0, -1, -0.5 / r, 0, -1.0 / 3, 0.5 / r, 0, -1.0 / 3, 1.5 / r, 0, 5.0 / 3}, z.toDoubleArray(), 1e-15);
    assertArrayEquals(x.toDoubleArray(), s.inverse(z).toDoubleArray(), 1e-14);
    // Test rows use the training statistics.
    Tensor test = Tensor.of(new double[] {0, 11, 4}, 1, 3);
    assertArrayEquals(new double[] {-2.5 / r, 1, 1}, s.transform(test).toDoubleArray(), 1e-15);
  }

  @Test
  void standardisedTrainingDataHasZeroMeanUnitVariance() {
    Rng rng = new Rng(5);
    Tensor x = Tensor.randn(rng, DType.F64, 500, 2, 3).mul(4.0).add(7.0);
    Standardizer s = Standardizer.fit(x);
    assertEquals(6, s.mean().length);
    double[] z = s.transform(x).toDoubleArray();
    for (int j = 0; j < 6; j++) {
      double m = 0, v = 0;
      for (int i = 0; i < 500; i++) m += z[i * 6 + j];
      m /= 500;
      for (int i = 0; i < 500; i++) v += (z[i * 6 + j] - m) * (z[i * 6 + j] - m);
      assertEquals(0, m, 1e-12);
      assertEquals(1, v / 500, 1e-12);
    }
  }

  @Test
  void datasetsInputsAndTargets() {
    Tensor x = Tensor.of(new float[] {0, 2, 4, 6}, 4, 1);
    Tensor y = Tensor.of(new double[] {10, 20, 30, 40}, 4, 1);
    Dataset d = new Dataset("r", x, new Targets.Regression(y)).subset(new int[] {3, 0, 1, 2});
    Standardizer sx = Standardizer.fitInputs(d), sy = Standardizer.fitTargets(d);
    Dataset t = sy.transformTargets(sx.transformInputs(d));
    assertEquals(DType.F32, t.dtype(), "dtype kept");
    assertArrayEquals(new int[] {3, 0, 1, 2}, t.rootIndices(), "indices kept");
    double sd = Math.sqrt(5); // population sd of 0,2,4,6 is sqrt(5); of 10..40 is 5 sqrt(5)
    assertArrayEquals(new float[] {(float) (3 / sd), (float) (-3 / sd), (float) (-1 / sd), (float) (1 / sd)}, t.x().toFloatArray(), 1e-7f);
    Tensor ty = ((Targets.Regression) t.y()).values();
    assertArrayEquals(new double[] {15 / (5 * sd), -15 / (5 * sd), -5 / (5 * sd), 5 / (5 * sd)}, ty.toDoubleArray(), 1e-15);
    assertArrayEquals(new double[] {40, 10, 20, 30}, sy.inverse(ty).toDoubleArray(), 1e-13);
  }

  @Test
  void errors() {
    Standardizer s = Standardizer.fit(Tensor.of(new double[] {1, 2, 3, 4}, 2, 2));
    assertThrows(IllegalArgumentException.class, () -> s.transform(Tensor.zeros(DType.F64, 2, 3)));
    assertThrows(IllegalArgumentException.class, () -> Standardizer.fit(Tensor.zeros(DType.F64, 0, 3)));
    assertThrows(IllegalArgumentException.class, () -> Standardizer.fitTargets(DatasetTest.numbered(3)));
  }
}
