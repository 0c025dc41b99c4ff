package dev.unroll.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmarked workloads compute what they claim, checked against independent computations. */
class WorkloadTest {
  @Test
  void specIsParsed() {
    MlpWorkload w = MlpWorkload.parse("8-16-3/5", DType.F64, 1);
    assertArrayEquals(new int[] {8, 16, 3}, w.widths());
    assertEquals(5, w.batchSize());
    assertEquals(4, w.parameterValues().size());
    var e = assertThrows(IllegalArgumentException.class, () -> MlpWorkload.parse("8-x/5", DType.F64, 1));
    assertTrue(e.getMessage().contains("8-x/5"), e.getMessage());
  }

  @Test
  void sgdStepMovesEachParameterByMinusLrTimesItsGradient() {
    MlpWorkload w = MlpWorkload.parse("4-6-1/3", DType.F64, 3);
    List<double[]> before = w.parameterValues().stream().map(Tensor::toDoubleArray).toList();
    List<double[]> g = w.gradient().stream().map(Tensor::toDoubleArray).toList();
    w.sgdStep();
    for (int i = 0; i < before.size(); i++) {
      double[] now = w.parameterValues().get(i).toDoubleArray();
      for (int j = 0; j < now.length; j++) assertEquals(before.get(i)[j] - MlpWorkload.LR * g.get(i)[j], now[j], 1e-15);
    }
  }

  @Test
  void hvpMatchesADifferenceOfGradients() {
    // H·v ≈ (∇L(θ + h·v) − ∇L(θ − h·v)) / 2h in float64.
    MlpWorkload w = MlpWorkload.parse("3-5-4/6", DType.F64, 5);
    List<Tensor> v = w.direction(9);
    List<Tensor> hv = w.hvp(v);
    double h = 1e-5;
    List<Tensor> plus = shifted(w, v, h), minus = shifted(w, v, -h);
    for (int i = 0; i < hv.size(); i++) {
      double[] a = hv.get(i).toDoubleArray(), p = plus.get(i).toDoubleArray(), m = minus.get(i).toDoubleArray();
      for (int j = 0; j < a.length; j++) assertEquals((p[j] - m[j]) / (2 * h), a[j], 1e-6 * (1 + Math.abs(a[j])));
    }
  }

  private static List<Tensor> shifted(MlpWorkload w, List<Tensor> v, double h) {
    List<Tensor> theta = new java.util.ArrayList<>();
    for (int i = 0; i < v.size(); i++) theta.add(w.parameterValues().get(i).detach().add(v.get(i).mul(h)).detach().requiresGrad(true));
    return w.model().withParameters(theta, () -> dev.unroll.autodiff.Derivatives.gradient(w.meanLoss(), theta));
  }

  @Test
  void perExampleGradientsAgreeWithTheLoopAndSumToTheBatchGradient() {
    MlpWorkload w = MlpWorkload.parse("4-7-3/5", DType.F64, 11);
    List<Tensor> outer = w.perExampleGradients();
    List<Tensor> loop = w.perExampleGradientsLoop();
    List<Tensor> batch = w.gradient();
    int params = batch.size();
    for (int p = 0; p < params; p++) {
      double[] o = outer.get(p).toDoubleArray();
      double[] mean = batch.get(p).toDoubleArray();
      int size = mean.length;
      assertEquals(5 * size, o.length);
      double[] sum = new double[size];
      for (int i = 0; i < 5; i++) {
        double[] li = loop.get(i * params + p).toDoubleArray();
        for (int j = 0; j < size; j++) {
          assertEquals(li[j], o[i * size + j], 1e-12);
          sum[j] += o[i * size + j];
        }
      }
      // The batch gradient is of the mean loss.
      for (int j = 0; j < size; j++) assertEquals(mean[j], sum[j] / 5, 1e-12);
    }
  }

  @Test
  void peakProbeCountsItsWork() {
    int lanes32 = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
    assertEquals(2.0 * PeakBench.TRIPS * PeakBench.CHAINS * lanes32, PeakBench.flop("float32", 1));
    assertEquals(PeakBench.flop("float32", 1) / 2, PeakBench.flop("float64", 1));
    // The chains converge to b / (1 − a) = 1 per lane and never overflow.
    double s = PeakBench.chains64();
    assertTrue(Double.isFinite(s) && s > 0, "sum " + s);
  }
}
