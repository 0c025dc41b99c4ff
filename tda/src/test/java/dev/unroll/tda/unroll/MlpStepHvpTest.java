package dev.unroll.tda.unroll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Conv2d;
import dev.unroll.nn.CrossEntropyLoss;
import dev.unroll.nn.Flatten;
import dev.unroll.nn.GELU;
import dev.unroll.nn.Linear;
import dev.unroll.nn.Loss;
import dev.unroll.nn.Module;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.ReLU;
import dev.unroll.nn.Sequential;
import dev.unroll.nn.Tanh;
import dev.unroll.nn.Targets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The batched R-operator against the autodiff engine's double-backward pass (itself checked by
 * central differences in the autodiff module): for each of Q directions V, H·V and
 * ∂⟨∇_θJ, V⟩/∂w must agree to rounding, in float64, with weights that include 0 and 2.
 */
class MlpStepHvpTest {
  private static final int B = 7, Q = 3;

  @Test
  void matchesDoubleBackwardForSquaredErrorWithTanhAndALayerWithoutActivation() {
    Rng rng = new Rng(1);
    // Linear → tanh → Linear (no bias) → Linear: two Linear layers in a row, one without bias.
    Module m = new Sequential(new Linear(4, 6, DType.F64, rng), new Tanh(), new Linear(6, 5, false, DType.F64, rng), new Linear(5, 2, DType.F64, rng));
    double[] y = normals(new Rng(2), B * 2);
    check(m, new MseLoss(), new Targets.Regression(Tensor.of(y, B, 2)), 4);
  }

  @Test
  void matchesDoubleBackwardForCrossEntropyWithGelu() {
    Rng rng = new Rng(3);
    Module m = new Sequential(new Linear(4, 8, DType.F64, rng), new GELU(), new Linear(8, 6, DType.F64, rng), new GELU(), new Linear(6, 3, DType.F64, rng));
    int[] labels = {0, 2, 1, 1, 0, 2, 2};
    check(m, new CrossEntropyLoss(), classes(labels, 3), 4);
  }

  @Test
  void matchesDoubleBackwardForCrossEntropyWithRelu() {
    Rng rng = new Rng(5);
    Module m = new Sequential(new Linear(4, 9, DType.F64, rng), new ReLU(), new Linear(9, 4, DType.F64, rng));
    int[] labels = {3, 2, 1, 0, 0, 2, 3};
    check(m, new CrossEntropyLoss(), classes(labels, 4), 4);
  }

  @Test
  void recognisesOnlyPlainPerceptrons() {
    Rng rng = new Rng(7);
    assertNotNull(MlpStepHvp.layers(new Sequential(new Linear(2, 3, DType.F64, rng), new ReLU(), new Linear(3, 1, DType.F64, rng)), new MseLoss()));
    // An activation after the output, a layer that is not elementwise, a loss it has no rule for.
    assertNull(MlpStepHvp.layers(new Sequential(new Linear(2, 3, DType.F64, rng), new ReLU()), new MseLoss()));
    assertNull(MlpStepHvp.layers(new Sequential(new Flatten(), new Linear(2, 3, DType.F64, rng)), new MseLoss()));
    assertNull(MlpStepHvp.layers(new Sequential(new Conv2d(1, 2, 3, 1, 1, DType.F64, rng), new Flatten(), new Linear(8, 1, DType.F64, rng)), new MseLoss()));
    Loss custom = new Loss() {
      @Override
      public Tensor perExample(Tensor output, Targets t) {
        return output.square().sum(1);
      }

      @Override
      public Targets sample(Tensor output, Rng r) {
        throw new UnsupportedOperationException();
      }
    };
    assertNull(MlpStepHvp.layers(new Sequential(new Linear(2, 1, DType.F64, rng)), custom));
  }

  private static void check(Module m, Loss loss, Targets y, int in) {
    Rng rng = new Rng(11);
    Tensor x = Tensor.of(normals(rng, B * in), B, in);
    double[] w = {1, 1, 0, 2, 1, 0.5, 1};
    List<Tensor> theta = m.parameterValues();
    List<List<Tensor>> dirs = new ArrayList<>();
    for (int q = 0; q < Q; q++) {
      List<Tensor> v = new ArrayList<>();
      for (Tensor p : theta) v.add(Tensor.of(normals(rng, p.numel()), p.shape()));
      dirs.add(v);
    }
    MlpStepHvp.Layers layers = MlpStepHvp.layers(m, loss);
    assertNotNull(layers);
    MlpStepHvp.Products got = new MlpStepHvp(layers, theta, x, y, w, loss).apply(stack(dirs));

    List<Tensor> leaves = ReverseSweep.leaves(theta);
    Tensor wt = Tensor.of(DType.F64, w, B).requiresGrad(true);
    Tensor j = m.withParameters(leaves, () -> loss.weightedMean(m.forward(x), y, wt));
    List<Tensor> grad = Autograd.grad(List.of(j), null, leaves, true, true, true);
    List<Tensor> both = new ArrayList<>(leaves);
    both.add(wt);
    double[] dots = got.dots().toDoubleArray();
    double worst = 0;
    for (int q = 0; q < Q; q++) {
      List<Tensor> want = Autograd.grad(List.of(Derivatives.dot(grad, dirs.get(q))), null, both, false, true, true);
      for (int n = 0; n < theta.size(); n++) {
        double[] a = want.get(n).toDoubleArray(), b = got.hv().get(n).toDoubleArray();
        for (int i = 0; i < a.length; i++) {
          assertEquals(a[i], b[q * a.length + i], 1e-12 * (1 + Math.abs(a[i])), "direction " + q + ", parameter " + n + ", entry " + i);
          worst = Math.max(worst, Math.abs(a[i]));
        }
      }
      double[] dw = want.get(theta.size()).toDoubleArray();
      for (int i = 0; i < B; i++) assertEquals(dw[i], dots[q * B + i], 1e-12 * (1 + Math.abs(dw[i])), "direction " + q + ", dot with example " + i);
    }
    assertTrue(worst > 1e-3, "the products are not all ~0");
  }

  /** Per parameter, the directions stacked along a new leading axis. */
  private static List<Tensor> stack(List<List<Tensor>> dirs) {
    List<Tensor> out = new ArrayList<>();
    for (int n = 0; n < dirs.get(0).size(); n++) {
      Tensor[] parts = new Tensor[Q];
      for (int q = 0; q < Q; q++) {
        Tensor v = dirs.get(q).get(n);
        int[] sh = new int[v.rank() + 1];
        sh[0] = 1;
        System.arraycopy(v.shape(), 0, sh, 1, v.rank());
        parts[q] = v.reshape(sh);
      }
      out.add(Ops.concat(0, parts).owning());
    }
    return out;
  }

  private static double[] normals(Rng rng, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) v[i] = rng.normal();
    return v;
  }

  private static Targets classes(int[] labels, int k) {
    return new Targets.Classes(labels, k);
  }
}
