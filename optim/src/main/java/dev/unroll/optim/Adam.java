package dev.unroll.optim;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.InPlaceUpdates;
import dev.unroll.autodiff.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam (Kingma and Ba) with PyTorch's semantics: L2 weight decay added to the gradient (torch.optim.Adam),
 * or, in {@link AdamW}, decoupled decay applied to the parameter. For step t = 1, 2, ...:
 * <pre>
 *   p ← p·(1 − η·λ)                       (AdamW only, when λ ≠ 0)
 *   d = g + λ·p                           (Adam only, when λ ≠ 0)
 *   m ← β₁·m + (1 − β₁)·d
 *   v ← β₂·v + (1 − β₂)·d²
 *   p ← p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
 * </pre>
 * which is p − η·m̂/(√v̂ + ε) with the bias-corrected m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), ε outside the
 * square root, arranged as PyTorch computes it. State: "adam.m.NAME", "adam.v.NAME" and the shared
 * "step" t. Note for differentiating {@link #update}: √v has an infinite derivative where v = 0.
 */
public class Adam extends StatefulOptimizer {
  private final double beta1, beta2, eps, weightDecay;
  private final boolean decoupled;

  public Adam(double beta1, double beta2, double eps, double weightDecay) {
    this(beta1, beta2, eps, weightDecay, false);
  }

  /** PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8, no weight decay. */
  public Adam() {
    this(0.9, 0.999, 1e-8, 0);
  }

  Adam(double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
    if (!(eps >= 0) || !(weightDecay >= 0)) throw new IllegalArgumentException("Adam eps and weight decay must be ≥ 0, got " + eps + ", " + weightDecay);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.decoupled = decoupled;
  }

  public double beta1() { return beta1; }

  public double beta2() { return beta2; }

  public double eps() { return eps; }

  public double weightDecay() { return weightDecay; }

  @Override
  public OptimizerSpec spec() {
    return decoupled ? OptimizerSpec.adamW(beta1, beta2, eps, weightDecay) : OptimizerSpec.adam(beta1, beta2, eps, weightDecay);
  }

  @Override
  final List<String> bufferKeys(String name) {
    return List.of("adam.m." + name, "adam.v." + name);
  }

  @Override
  public final Update update(List<String> names, List<Tensor> params, Map<String, Tensor> state, List<Tensor> grads, double lr) {
    checkSizes(names, params, grads, "update");
    checkState(names, params, state);
    long t = stepCount(state) + 1;
    double stepSize = lr / (1 - Math.pow(beta1, t));
    double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
    Map<String, Tensor> next = new LinkedHashMap<>(state);
    next.put(STEP, Tensor.scalar(DType.F64, t));
    List<Tensor> out = new ArrayList<>(params.size());
    for (int i = 0; i < params.size(); i++) {
      Tensor p = params.get(i), d = grads.get(i);
      if (weightDecay != 0) {
        if (decoupled) p = p.mul(1 - lr * weightDecay);
        else d = d.add(p.mul(weightDecay));
      }
      String mk = "adam.m." + names.get(i), vk = "adam.v." + names.get(i);
      Tensor m = state.get(mk).mul(beta1).add(d.mul(1 - beta1));
      Tensor v = state.get(vk).mul(beta2).add(d.mul(d).mul(1 - beta2));
      next.put(mk, m);
      next.put(vk, v);
      Tensor denom = v.sqrt().div(bc2Sqrt).add(eps);
      out.add(p.sub(m.div(denom).mul(stepSize)));
    }
    return new Update(out, next);
  }

  @Override
  final void kernel(double[] p, double[] g, double[][] b, double lr, long t) {
    double stepSize = lr / (1 - Math.pow(beta1, t));
    double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
    double decay = decoupled ? 1 - lr * weightDecay : 0;
    step(p, g, b[0], b[1], beta1, 1 - beta1, beta2, 1 - beta2, eps, weightDecay, decay, stepSize, bc2Sqrt, !decoupled && weightDecay != 0, decoupled && weightDecay != 0);
  }

  @Override
  final void kernel(float[] p, float[] g, float[][] b, double lr, long t) {
    double stepSize = lr / (1 - Math.pow(beta1, t));
    double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
    double decay = decoupled ? 1 - lr * weightDecay : 0;
    step(p, g, b[0], b[1], (float) beta1, (float) (1 - beta1), (float) beta2, (float) (1 - beta2), (float) eps,
        (float) weightDecay, (float) decay, (float) stepSize, (float) bc2Sqrt, !decoupled && weightDecay != 0, decoupled && weightDecay != 0);
  }

  @Override
  final void deviceKernel(InPlaceUpdates device, Tensor p, Tensor g, Tensor[] b, double lr, long t) {
    double stepSize = lr / (1 - Math.pow(beta1, t));
    double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
    double decay = decoupled ? 1 - lr * weightDecay : 0;
    device.adamStep(p, g, b[0], b[1], beta1, 1 - beta1, beta2, 1 - beta2, eps, weightDecay, decay, stepSize, bc2Sqrt,
        !decoupled && weightDecay != 0, decoupled && weightDecay != 0);
  }

  /** One float64 parameter in place; same operations and order as {@link #update}. */
  static void step(double[] p, double[] g, double[] m, double[] v, double b1, double c1, double b2, double c2, double eps,
      double wd, double decay, double stepSize, double bc2Sqrt, boolean l2Decay, boolean decoupledDecay) {
    for (int i = 0; i < p.length; i++) {
      double pi = p[i], d = g[i];
      if (decoupledDecay) pi = pi * decay;
      if (l2Decay) d = d + pi * wd;
      double mi = m[i] * b1 + d * c1;
      double vi = v[i] * b2 + d * d * c2;
      m[i] = mi;
      v[i] = vi;
      double denom = Math.sqrt(vi) / bc2Sqrt + eps;
      p[i] = pi - mi / denom * stepSize;
    }
  }

  /** The float32 version: constants rounded to float once, as the tensor ops do. */
  static void step(float[] p, float[] g, float[] m, float[] v, float b1, float c1, float b2, float c2, float eps,
      float wd, float decay, float stepSize, float bc2Sqrt, boolean l2Decay, boolean decoupledDecay) {
    for (int i = 0; i < p.length; i++) {
      float pi = p[i], d = g[i];
      if (decoupledDecay) pi = pi * decay;
      if (l2Decay) d = d + pi * wd;
      float mi = m[i] * b1 + d * c1;
      float vi = v[i] * b2 + d * d * c2;
      m[i] = mi;
      v[i] = vi;
      float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
      p[i] = pi - mi / denom * stepSize;
    }
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "(beta1=" + beta1 + ", beta2=" + beta2 + ", eps=" + eps + ", weightDecay=" + weightDecay + ")";
  }
}
