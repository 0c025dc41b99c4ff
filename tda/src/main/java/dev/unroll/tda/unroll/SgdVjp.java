package dev.unroll.tda.unroll;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.optim.Sgd;
import java.util.ArrayList;
import java.util.List;

/**
 * SGD's update in closed form ({@link Sgd}: d = g + λθ, v' = μv + d, θ' = θ − η·v' for heavy
 * ball or θ − η·(d + μv') for Nesterov, θ' = θ − η·d without momentum). Its adjoint, with
 * ā_v = a_v' − η·a_θ' (heavy ball) or a_v' − ημ·a_θ' (Nesterov):
 * ā_d = ā_v (heavy ball), ā_v − η·a_θ' (Nesterov), −η·a_θ' (no momentum); then b_g = ā_d,
 * b_v = μ·ā_v, b_θ = a_θ' + λ·ā_d. The same numbers as reverse mode through the update's graph up to rounding, without
 * building and walking a graph per query.
 */
final class SgdVjp implements UpdateVjp {
  private final double mu, wd, lr;
  private final boolean nesterov;

  SgdVjp(Sgd sgd, double lr) {
    this.mu = sgd.momentum();
    this.wd = sgd.weightDecay();
    this.nesterov = sgd.nesterov();
    this.lr = lr;
  }

  @Override
  @SuppressWarnings("unchecked")
  public List<Tensor>[] apply(List<Tensor> aTheta, List<Tensor> aSigma) {
    int p = aTheta.size();
    List<Tensor> bTheta = new ArrayList<>(p), bSigma = new ArrayList<>(aSigma.size()), bG = new ArrayList<>(p);
    try (var off = GradMode.off()) {
      for (int i = 0; i < p; i++) {
        Tensor at = aTheta.get(i);
        if (fused(at, mu == 0 ? null : aSigma.get(i), bTheta, bSigma, bG)) continue;
        Tensor ad;
        if (mu == 0) {
          ad = at.mul(-lr);
        } else {
          Tensor av = aSigma.get(i).sub(at.mul(nesterov ? lr * mu : lr));
          ad = nesterov ? av.sub(at.mul(lr)) : av;
          bSigma.add(av.mul(mu));
        }
        bG.add(ad);
        bTheta.add(wd == 0 ? at : at.add(ad.mul(wd)));
      }
    }
    return new List[] {bTheta, bSigma, bG};
  }

  /**
   * The same arithmetic as the tensor expressions of {@link #apply}, in the same order and the
   * tensors' precision (scalars rounded to it as the tensor ops round them), in one pass over
   * a_θ and a_σ instead of five (a profile of Concrete's exact unrolling spent 22% of its time in
   * those passes). Only for contiguous CPU tensors of one shape and dtype; false leaves the others to the ops.
   */
  private boolean fused(Tensor at, Tensor as, List<Tensor> bTheta, List<Tensor> bSigma, List<Tensor> bG) {
    if (!at.backend().isCpu() || !at.isContiguous() || (as != null && (!as.backend().isCpu() || as.dtype() != at.dtype() || !java.util.Arrays.equals(as.shape(), at.shape())))) return false;
    int[] shape = at.shape();
    int n = at.numel();
    if (at.dtype() == DType.F64) {
      // Read without a copy where the tensor owns its storage (the adjoints the sweeps make do).
      double[] a = at.owning().doubleStorage(), sg = as == null ? null : as.owning().doubleStorage();
      double[] bt = wd == 0 ? null : new double[n], bs = as == null ? null : new double[n], bg = new double[n];
      pass(a, sg, bt, bs, bg, 0, n);
      bG.add(Tensor.of(bg, shape));
      if (bs != null) bSigma.add(Tensor.of(bs, shape));
      bTheta.add(bt == null ? at : Tensor.of(bt, shape));
    } else {
      float[] a = at.owning().floatStorage(), sg = as == null ? null : as.owning().floatStorage();
      float[] bt = wd == 0 ? null : new float[n], bs = as == null ? null : new float[n], bg = new float[n];
      pass(a, sg, bt, bs, bg, 0, n);
      bG.add(Tensor.of(bg, shape));
      if (bs != null) bSigma.add(Tensor.of(bs, shape));
      bTheta.add(bt == null ? at : Tensor.of(bt, shape));
    }
    return true;
  }

  /**
   * {@link #apply} in place: a_θ ← b_θ, a_σ ← b_σ, and b_g written into {@code bG}; every tensor a
   * contiguous CPU tensor owning its storage, all of one dtype and shape per parameter.
   */
  void applyInPlace(List<Tensor> aTheta, List<Tensor> aSigma, List<Tensor> bG) {
    applyInPlace(aTheta, aSigma, bG, 0, 1);
  }

  /**
   * {@link #applyInPlace(List, List, List)} on part q of {@code parts} equal parts of every tensor
   * along its leading axis: one query's slice of [Q, ...] stacks.
   */
  void applyInPlace(List<Tensor> aTheta, List<Tensor> aSigma, List<Tensor> bG, int q, int parts) {
    for (int i = 0; i < aTheta.size(); i++) {
      Tensor at = aTheta.get(i), as = mu == 0 ? null : aSigma.get(i);
      int size = at.numel() / parts, from = q * size, to = from + size;
      if (at.dtype() == DType.F64) {
        double[] a = at.doubleStorage();
        pass(a, as == null ? null : as.doubleStorage(), wd == 0 ? null : a, as == null ? null : as.doubleStorage(), bG.get(i).doubleStorage(), from, to);
      } else {
        float[] a = at.floatStorage();
        pass(a, as == null ? null : as.floatStorage(), wd == 0 ? null : a, as == null ? null : as.floatStorage(), bG.get(i).floatStorage(), from, to);
      }
    }
  }

  /**
   * One pass of the adjoint over elements [from, to) of float64 arrays: b_g, and b_σ, b_θ where
   * non-null (they may be a_σ's and a_θ's own arrays: each element is read before it is written).
   */
  private void pass(double[] a, double[] sg, double[] bt, double[] bs, double[] bg, int from, int to) {
    double c1 = nesterov ? lr * mu : lr;
    for (int j = from; j < to; j++) {
      double x = a[j], ad;
      if (sg == null) {
        ad = x * -lr;
      } else {
        double av = sg[j] - x * c1;
        ad = nesterov ? av - x * lr : av;
        bs[j] = av * mu;
      }
      bg[j] = ad;
      if (bt != null) bt[j] = x + ad * wd;
    }
  }

  /** {@link #pass(double[], double[], double[], double[], double[], int, int)} in float32, scalars rounded once as the tensor ops round them. */
  private void pass(float[] a, float[] sg, float[] bt, float[] bs, float[] bg, int from, int to) {
    float fl = (float) lr, fnl = (float) -lr, fc1 = (float) (nesterov ? lr * mu : lr), fmu = (float) mu, fwd = (float) wd;
    for (int j = from; j < to; j++) {
      float x = a[j], ad;
      if (sg == null) {
        ad = x * fnl;
      } else {
        float av = sg[j] - x * fc1;
        ad = nesterov ? av - x * fl : av;
        bs[j] = av * fmu;
      }
      bg[j] = ad;
      if (bt != null) bt[j] = x + ad * fwd;
    }
  }
}
