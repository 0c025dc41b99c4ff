package dev.unroll.nn;

import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;

/**
 * The classification measurement of method.md §1: margin = f_y − log Σ_{c≠y} exp(f_c), the logit
 * of the true class minus the log-sum-exp of the other logits, on logits [B, C] with C ≥ 2. With
 * p = softmax(f) it equals log(p_y / (1 − p_y)), so it is positive exactly when p_y &gt; ½. The true
 * class is excluded by setting its logit to −∞ inside the log-sum-exp, so the derivative with
 * respect to f_y is exactly 1.
 */
public final class Margin implements Measurement {
  @Override
  public Tensor perExample(Tensor output, Targets y) {
    Targets.Classes c = CrossEntropyLoss.Labels.of("Margin", output, y);
    int b = c.size(), k = c.numClasses();
    if (k < 2) throw new IllegalArgumentException("Margin needs at least 2 classes, got " + k);
    double[] mask = new double[b * k];
    for (int i = 0; i < b; i++) mask[i * k + c.labels()[i]] = 1;
    Tensor isTrue = Tensor.of(output.dtype(), mask, b, k).to(output.backend());
    Tensor others = Ops.where(isTrue, output.constant(Double.NEGATIVE_INFINITY), output);
    Tensor correct = Ops.gather(output, 1, c.labels(), new int[] {b, 1}).reshape(b);
    return correct.sub(others.logsumexp(1));
  }

  @Override
  public String toString() {
    return "Margin";
  }
}
