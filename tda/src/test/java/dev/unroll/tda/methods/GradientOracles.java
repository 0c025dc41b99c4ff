package dev.unroll.tda.methods;

import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.AbsoluteError;
import dev.unroll.nn.CrossEntropyLoss;
import dev.unroll.nn.LossMeasurement;
import dev.unroll.nn.Margin;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Targets;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.curvature.Oracles;
import java.util.List;

/**
 * Per-example gradients formed the plain way, independently of the capture machinery and of the
 * library's loss and measurement code: ∇_θ h(z_i) = J_iᵀ ∂h/∂f with J_i example i's output
 * Jacobian (reverse mode, one output at a time: {@link Oracles#jacobian}) and ∂h/∂f written out in
 * closed form here. Examples are the task's training examples; for the queries pass
 * {@code task.withTrain(task.queries())}.
 */
final class GradientOracles {
  private GradientOracles() {}

  /** Which scalar function of the outputs is differentiated. */
  enum Of {
    /** The training loss: 2(f − y) for the squared error Σⱼ(fⱼ − yⱼ)², softmax(f) − e_y for cross-entropy. */
    LOSS,
    /** The task's measurement: sign(f − y) for the absolute error Σⱼ|fⱼ − yⱼ|, the margin's derivative, or the loss's. */
    MEASUREMENT,
    /** TRAK's output function: the output itself (one-output squared error), the true-class margin (cross-entropy). */
    TRAK_OUTPUT
  }

  /** ∇_θ h(z_i) in block order. */
  static double[] gradient(AttributionTask t, List<Tensor> params, int i, Of what) {
    double[] f = Oracles.output(t, params, i);
    Targets y = t.train().batch(new int[] {i}).y();
    double[] w = outputDerivative(t, f, y, what);
    double[][] j = Oracles.jacobian(t, params, i);
    double[] g = new double[t.layout().size()];
    for (int c = 0; c < w.length; c++) for (int k = 0; k < g.length; k++) g[k] += w[c] * j[c][k];
    return g;
  }

  /** ∇_θ h(z_i) for every training example i, [N][P]. */
  static double[][] all(AttributionTask t, List<Tensor> params, Of what) {
    double[][] g = new double[t.numTrain()][];
    for (int i = 0; i < g.length; i++) g[i] = gradient(t, params, i, what);
    return g;
  }

  /** ∂h/∂f for one example with outputs f and target y, in closed form. */
  static double[] outputDerivative(AttributionTask t, double[] f, Targets y, Of what) {
    int d = f.length;
    double[] w = new double[d];
    boolean loss = what == Of.LOSS || what == Of.MEASUREMENT && t.measurement() instanceof LossMeasurement;
    if (loss && t.loss() instanceof MseLoss) {
      double[] yv = ((Targets.Regression) y).values().toDoubleArray();
      for (int c = 0; c < d; c++) w[c] = 2 * (f[c] - yv[c]);
    } else if (loss && t.loss() instanceof CrossEntropyLoss) {
      int label = ((Targets.Classes) y).labels()[0];
      double max = Double.NEGATIVE_INFINITY, z = 0;
      for (double v : f) max = Math.max(max, v);
      for (double v : f) z += Math.exp(v - max);
      for (int c = 0; c < d; c++) w[c] = Math.exp(f[c] - max) / z - (c == label ? 1 : 0);
    } else if (what == Of.MEASUREMENT && t.measurement() instanceof AbsoluteError) {
      double[] yv = ((Targets.Regression) y).values().toDoubleArray();
      for (int c = 0; c < d; c++) w[c] = Math.signum(f[c] - yv[c]);
    } else if (what == Of.MEASUREMENT && t.measurement() instanceof Margin || what == Of.TRAK_OUTPUT && t.loss() instanceof CrossEntropyLoss) {
      // f_y − log Σ_{c≠y} exp f_c: 1 for the true class, minus the softmax over the others elsewhere.
      int label = ((Targets.Classes) y).labels()[0];
      double max = Double.NEGATIVE_INFINITY, z = 0;
      for (int c = 0; c < d; c++) if (c != label) max = Math.max(max, f[c]);
      for (int c = 0; c < d; c++) if (c != label) z += Math.exp(f[c] - max);
      for (int c = 0; c < d; c++) w[c] = c == label ? 1 : -Math.exp(f[c] - max) / z;
    } else if (what == Of.TRAK_OUTPUT && t.loss() instanceof MseLoss && d == 1) {
      w[0] = 1;
    } else {
      throw new IllegalArgumentException("no closed form for " + what + " of " + t);
    }
    return w;
  }

  /** ⟨a, b⟩. */
  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int k = 0; k < a.length; k++) s += a[k] * b[k];
    return s;
  }
}
