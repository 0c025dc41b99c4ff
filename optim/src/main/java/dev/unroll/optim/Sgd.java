package dev.unroll.optim;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.InPlaceUpdates;
import dev.unroll.autodiff.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with optional L2 weight decay and heavy-ball or Nesterov momentum, as
 * PyTorch's torch.optim.SGD with dampening 0. Per parameter, with gradient g, decay λ, momentum μ:
 * <pre>
 *   d = g + λ·p                  (when λ ≠ 0)
 *   v ← μ·v + d                  (when μ ≠ 0; v starts at 0, so the first step has v = d)
 *   d = v      (heavy ball)  or  d = d + μ·v   (Nesterov)
 *   p ← p − η·d
 * </pre>
 * State per parameter: "momentum.NAME" = v (only when μ ≠ 0).
 */
public final class Sgd extends StatefulOptimizer {
  private final double momentum, weightDecay;
  private final boolean nesterov;

  public Sgd(double momentum, double weightDecay, boolean nesterov) {
    if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("SGD momentum must be in [0, 1), got " + momentum);
    if (!(weightDecay >= 0)) throw new IllegalArgumentException("SGD weight decay must be ≥ 0, got " + weightDecay);
    if (nesterov && momentum == 0) throw new IllegalArgumentException("Nesterov momentum needs momentum > 0");
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
  }

  /** Plain SGD: p ← p − η·g. */
  public Sgd() {
    this(0, 0, false);
  }

  public double momentum() { return momentum; }

  public double weightDecay() { return weightDecay; }

  public boolean nesterov() { return nesterov; }

  @Override
  public OptimizerSpec spec() {
    return OptimizerSpec.sgd(momentum, weightDecay, nesterov);
  }

  @Override
  List<String> bufferKeys(String name) {
    return momentum == 0 ? List.of() : List.of("momentum." + name);
  }

  @Override
  public Update update(List<String> names, List<Tensor> params, Map<String, Tensor> state, List<Tensor> grads, double lr) {
    checkSizes(names, params, grads, "update");
    checkState(names, params, state);
    long t = stepCount(state) + 1;
    Map<String, Tensor> next = new LinkedHashMap<>(state);
    next.put(STEP, Tensor.scalar(DType.F64, t));
    List<Tensor> out = new ArrayList<>(params.size());
    for (int i = 0; i < params.size(); i++) {
      Tensor p = params.get(i), d = grads.get(i);
      if (weightDecay != 0) d = d.add(p.mul(weightDecay));
      if (momentum != 0) {
        String key = "momentum." + names.get(i);
        Tensor v = state.get(key).mul(momentum).add(d);
        next.put(key, v);
        d = nesterov ? d.add(v.mul(momentum)) : v;
      }
      out.add(p.sub(d.mul(lr)));
    }
    return new Update(out, next);
  }

  @Override
  void kernel(double[] p, double[] g, double[][] buffers, double lr, long t) {
    step(p, g, momentum == 0 ? null : buffers[0], lr, momentum, weightDecay, nesterov);
  }

  @Override
  void kernel(float[] p, float[] g, float[][] buffers, double lr, long t) {
    step(p, g, momentum == 0 ? null : buffers[0], (float) lr, (float) momentum, (float) weightDecay, weightDecay != 0, nesterov);
  }

  @Override
  void deviceKernel(InPlaceUpdates device, Tensor p, Tensor g, Tensor[] buffers, double lr, long t) {
    device.sgdStep(p, g, momentum == 0 ? null : buffers[0], lr, momentum, weightDecay, weightDecay != 0, nesterov);
  }

  /** The update of one float64 parameter in place (v null when μ = 0); same operations and order as {@link #update}. */
  static void step(double[] p, double[] g, double[] v, double lr, double mu, double wd, boolean nesterov) {
    for (int i = 0; i < p.length; i++) {
      double d = g[i];
      if (wd != 0) d = d + p[i] * wd;
      if (v != null) {
        double vi = v[i] * mu + d;
        v[i] = vi;
        d = nesterov ? d + vi * mu : vi;
      }
      p[i] = p[i] - d * lr;
    }
  }

  /**
   * The float32 version: constants rounded to float once, as the tensor ops do; {@code decay} says
   * whether λ ≠ 0 before rounding (as {@link #update} decides).
   */
  static void step(float[] p, float[] g, float[] v, float lr, float mu, float wd, boolean decay, boolean nesterov) {
    for (int i = 0; i < p.length; i++) {
      float d = g[i];
      if (decay) d = d + p[i] * wd;
      if (v != null) {
        float vi = v[i] * mu + d;
        v[i] = vi;
        d = nesterov ? d + vi * mu : vi;
      }
      p[i] = p[i] - d * lr;
    }
  }

  @Override
  public String toString() {
    return "Sgd(momentum=" + momentum + ", weightDecay=" + weightDecay + (nesterov ? ", nesterov" : "") + ")";
  }
}
