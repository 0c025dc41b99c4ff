package dev.unroll.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import org.junit.jupiter.api.Test;

/** Targets drawn from the predictive distributions of the losses: moments, frequencies, determinism. */
class SampledTargetsTest {
  static final int N = 20000;

  @Test
  void squaredErrorSamplesHaveVarianceOneHalf() {
    Tensor f = Tensor.full(DType.F64, 2.0, N, 1);
    Tensor y = ((Targets.Regression) new MseLoss().sample(f, new Rng(1))).values();
    double sum = 0, sq = 0;
    for (double v : y.toDoubleArray()) {
      sum += v;
      sq += (v - 2) * (v - 2);
    }
    assertEquals(2.0, sum / N, 4 * Math.sqrt(0.5 / N));
    // Var of the sample variance of a normal: 2σ⁴/N.
    assertEquals(0.5, sq / N, 4 * Math.sqrt(2 * 0.25 / N));
  }

  @Test
  void crossEntropySamplesFollowTheSoftmax() {
    double[] logits = {0.5, -1.0, 1.5};
    double[] rows = new double[N * 3];
    for (int i = 0; i < N; i++) System.arraycopy(logits, 0, rows, 3 * i, 3);
    Targets.Classes c = (Targets.Classes) new CrossEntropyLoss().sample(Tensor.of(rows, N, 3), new Rng(2));
    double z = Math.exp(0.5) + Math.exp(-1.0) + Math.exp(1.5);
    int[] counts = new int[3];
    for (int l : c.labels()) counts[l]++;
    for (int j = 0; j < 3; j++) {
      double p = Math.exp(logits[j]) / z;
      assertEquals(p, counts[j] / (double) N, 4 * Math.sqrt(p * (1 - p) / N), "class " + j);
    }
  }

  @Test
  void sameSeedSameSamples() {
    Tensor f = Tensor.randn(new Rng(3), DType.F32, 10, 4);
    Targets.Classes a = (Targets.Classes) new CrossEntropyLoss().sample(f, new Rng(4));
    Targets.Classes b = (Targets.Classes) new CrossEntropyLoss().sample(f, new Rng(4));
    assertArrayEquals(a.labels(), b.labels());
    Targets.Regression r1 = (Targets.Regression) new MseLoss().sample(f, new Rng(5));
    Targets.Regression r2 = (Targets.Regression) new MseLoss().sample(f, new Rng(5));
    assertEquals(DType.F32, r1.values().dtype());
    assertArrayEquals(r1.values().toFloatArray(), r2.values().toFloatArray());
  }
}
