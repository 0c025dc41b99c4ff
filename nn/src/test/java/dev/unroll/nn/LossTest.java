package dev.unroll.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Losses and measurements against hand-written formulas. */
class LossTest {
  static final Tensor F = Tensor.of(new double[] {1.0, -2.0, 0.5, 3.0, 0.0, -1.0}, 2, 3);
  static final Targets.Classes LABELS = new Targets.Classes(new int[] {2, 0}, 3);

  @Test
  void mseIsSumOfSquaresOverOutputs() {
    Tensor y = Tensor.of(new double[] {0.5, -1.0, 2.0, 1.0, 1.0, 1.0}, 2, 3);
    Tensor l = new MseLoss().perExample(F, new Targets.Regression(y));
    assertEquals(0.25 + 1 + 2.25, l.get(0), 1e-15);
    assertEquals(4 + 1 + 4, l.get(1), 1e-15);
    assertEquals((3.5 + 9) / 2, new MseLoss().mean(F, new Targets.Regression(y)).item(), 1e-15);
    // One output given as [B].
    Tensor f1 = Tensor.of(new double[] {1, 2}, 2);
    assertEquals(4, new MseLoss().perExample(f1, new Targets.Regression(Tensor.of(new double[] {3, 2}, 2, 1))).get(0), 0);
  }

  @Test
  void crossEntropyIsLogSumExpMinusTrueLogit() {
    Tensor l = new CrossEntropyLoss().perExample(F, LABELS);
    double[] f = F.toDoubleArray();
    for (int i = 0; i < 2; i++) {
      double lse = Math.log(Math.exp(f[3 * i]) + Math.exp(f[3 * i + 1]) + Math.exp(f[3 * i + 2]));
      assertEquals(lse - f[3 * i + LABELS.labels()[i]], l.get(i), 1e-14);
    }
  }

  @Test
  void weightedMeanDividesByBatchSize() {
    Tensor y = Tensor.zeros(DType.F64, 2, 3);
    Targets t = new Targets.Regression(y);
    Tensor l = new MseLoss().perExample(F, t);
    double w = new MseLoss().weightedMean(F, t, new double[] {1.5, 0.25}).item();
    assertEquals((1.5 * l.get(0) + 0.25 * l.get(1)) / 2, w, 1e-15);
    // Differentiable in the weights: d/dw_i = L_i / B.
    Tensor wt = Tensor.of(new double[] {1, 1}, 2).requiresGrad(true);
    Tensor g = Autograd.grad(new MseLoss().weightedMean(F, t, wt), List.of(wt)).get(0);
    assertEquals(l.get(0) / 2, g.get(0), 1e-15);
    assertEquals(l.get(1) / 2, g.get(1), 1e-15);
  }

  @Test
  void marginIsTrueLogitMinusLogSumExpOfOthers() {
    Tensor m = Measurement.margin().perExample(F, LABELS);
    // Example 0, label 2: 0.5 − log(e¹ + e⁻²); example 1, label 0: 3 − log(e⁰ + e⁻¹).
    assertEquals(0.5 - Math.log(Math.exp(1) + Math.exp(-2)), m.get(0), 1e-14);
    assertEquals(3 - Math.log(1 + Math.exp(-1)), m.get(1), 1e-14);
    // log(p / (1 − p)) with p the softmax probability of the true class.
    double[] f = F.toDoubleArray();
    double p = Math.exp(f[2]) / (Math.exp(f[0]) + Math.exp(f[1]) + Math.exp(f[2]));
    assertEquals(Math.log(p / (1 - p)), m.get(0), 1e-14);
  }

  @Test
  void marginGradientIsOneMinusSoftmaxOfOthers() {
    Tensor f = F.detach().contiguous();
    Tensor x = Tensor.of(f.toDoubleArray(), 2, 3).requiresGrad(true);
    Tensor g = Autograd.grad(Measurement.margin().perExample(x, LABELS).sum(), List.of(x)).get(0);
    double[] v = F.toDoubleArray();
    // Row 0, label 2: ∂/∂f₂ = 1, ∂/∂f_c = −e^{f_c}/(e^{f₀} + e^{f₁}) for c ≠ 2.
    double z = Math.exp(v[0]) + Math.exp(v[1]);
    assertEquals(-Math.exp(v[0]) / z, g.get(0, 0), 1e-15);
    assertEquals(-Math.exp(v[1]) / z, g.get(0, 1), 1e-15);
    assertEquals(1, g.get(0, 2), 1e-15);
  }

  @Test
  void absoluteErrorAndLossMeasurement() {
    Tensor f = Tensor.of(new double[] {1.5, -2}, 2, 1);
    Targets y = new Targets.Regression(Tensor.of(new double[] {1, 1}, 2, 1));
    Tensor a = Measurement.absoluteError().perExample(f, y);
    assertEquals(0.5, a.get(0), 0);
    assertEquals(3, a.get(1), 0);
    Tensor l = Measurement.loss(new MseLoss()).perExample(f, y);
    assertEquals(0.25, l.get(0), 0);
    assertEquals(9, l.get(1), 0);
  }

  @Test
  void float32TargetsWithFloat64Outputs() {
    Tensor y = Tensor.of(new float[] {1, 2}, 2, 1);
    Tensor f = Tensor.randn(new Rng(1), DType.F64, 2, 1);
    Tensor l = new MseLoss().perExample(f, new Targets.Regression(y));
    assertEquals(DType.F64, l.dtype());
    assertEquals(Math.pow(f.get(0, 0) - 1, 2), l.get(0), 1e-15);
  }

  @Test
  void wrongTargetsAreErrors() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MseLoss().perExample(F, LABELS));
    assertTrue(e.getMessage().contains("regression targets"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new CrossEntropyLoss().perExample(F, new Targets.Classes(new int[] {0, 1}, 4)));
    assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[2, 4]"), e.getMessage());
  }
}
