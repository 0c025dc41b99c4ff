package dev.unroll.tda.unroll;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.CrossEntropyLoss;
import dev.unroll.nn.GELU;
import dev.unroll.nn.Linear;
import dev.unroll.nn.Loss;
import dev.unroll.nn.Mlp;
import dev.unroll.nn.Module;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Parameter;
import dev.unroll.nn.ReLU;
import dev.unroll.nn.Sequential;
import dev.unroll.nn.Tanh;
import dev.unroll.nn.Targets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One training step's Hessian-vector products for a stack of Q directions at once, on a multilayer
 * perceptron, together with every batch example's gradient dot product with each direction.
 *
 * <p>The step's objective is J(θ, w) = (1/B)·Σⱼ wⱼ·ℓ(z_L(xⱼ), yⱼ) over the batch, with
 * z_l = h_{l−1}·W_lᵀ + b_l, h_l = φ(z_l), h_0 = x. For each direction V = (V_l, c_l) it returns
 * <pre>  H·V = d/dt ∇_θJ(θ + tV, w) at t = 0   and   Dⱼ = ∂⟨∇_θJ, V⟩/∂wⱼ = (1/B)·⟨∇ℓⱼ, V⟩,</pre>
 * by the R-operator (forward tangents, then the tangents of the backward pass):
 * <pre>  P_l = h_{l−1}·V_lᵀ + c_l,   ż_l = P_l + ḣ_{l−1}·W_lᵀ,   ḣ_l = φ'(z_l)∘ż_l,   ḣ_0 = 0,
 *  δ̇_L = (w/B)∘∇²ℓ·ż_L,   δ̇_{l−1} = (δ̇_l·W_l + δ_l·V_l)∘φ'(z_{l−1}) + (δ_l·W_l)∘φ''(z_{l−1})∘ż_{l−1},
 *  (H·V)_{W_l} = δ̇_lᵀ·h_{l−1} + δ_lᵀ·ḣ_{l−1},   (H·V)_{b_l} = Σⱼ δ̇_l[j],   Dⱼ = (1/B)·Σ_l ⟨δ̂_l[j], P_l[j]⟩,</pre>
 * where δ_l = ∂J/∂z_l and δ̂_l the same with every wⱼ/B replaced by 1 (the per-example
 * backward pass). The primal quantities (h, φ', φ'', δ, δ̂, the loss Hessians ∇²ℓ per example) are
 * computed once per step and shared by the Q directions, whose tangents then pass one direction at
 * a time through six GEMMs of the batch's size per layer.
 * φ', φ'' and ∇²ℓ come from the autodiff engine's own derivative rules, so that these products
 * differentiate exactly the functions the trainer used. This replaces Q double-backward passes
 * through the step's gradient graph (the same numbers up to rounding).
 */
final class MlpStepHvp {
  /**
   * The layers of a supported model: Linear layers in sequence with an elementwise activation
   * (ReLU, tanh, GELU) or nothing between consecutive ones, with weight and bias positions in the
   * model's parameter list (bias −1 when absent).
   */
  record Layers(List<Linear> linears, List<Module> activations, int[] weight, int[] bias) {
    int size() {
      return linears.size();
    }
  }

  /**
   * The structure of {@code model} if this class can differentiate it with {@code loss}: an
   * {@link Mlp} or a {@link Sequential} of Linear layers and ReLU/tanh/GELU, with squared error or
   * cross-entropy, every parameter belonging to a Linear layer; else null.
   */
  static Layers layers(Module model, Loss loss) {
    if (!(loss instanceof MseLoss || loss instanceof CrossEntropyLoss)) return null;
    Sequential seq = model instanceof Mlp m ? m.layers() : model instanceof Sequential s ? s : null;
    if (seq == null || seq.size() == 0) return null;
    List<Linear> lin = new ArrayList<>();
    List<Module> act = new ArrayList<>();
    for (Module m : seq.layers()) {
      if (m instanceof Linear l) {
        if (lin.size() > act.size()) act.add(null);
        lin.add(l);
      } else if (m instanceof ReLU || m instanceof Tanh || m instanceof GELU) {
        if (lin.size() != act.size() + 1) return null;
        act.add(m);
      } else {
        return null;
      }
    }
    if (lin.isEmpty() || act.size() == lin.size()) return null; // an activation after the last layer
    act.add(null);
    List<Parameter> params = model.parameters();
    int[] w = new int[lin.size()], b = new int[lin.size()];
    int found = 0;
    for (int l = 0; l < lin.size(); l++) {
      w[l] = indexOf(params, lin.get(l).weight());
      b[l] = lin.get(l).bias() == null ? -1 : indexOf(params, lin.get(l).bias());
      found += b[l] < 0 ? 1 : 2;
    }
    if (found != params.size()) return null;
    return new Layers(List.copyOf(lin), java.util.Collections.unmodifiableList(act), w, b);
  }

  private static int indexOf(List<Parameter> params, Parameter p) {
    for (int i = 0; i < params.size(); i++) if (params.get(i) == p) return i;
    throw new IllegalStateException("parameter " + p.name() + " is not among the model's parameters");
  }

  private final Layers layers;
  private final int nb, np;
  /** h[l]: the input of Linear l [B, in]; d1/d2[l]: φ', φ'' of the activation after Linear l (null: no activation; d2 also null where φ'' = 0). */
  private final Tensor[] h, w, d1, d2;
  /** delta[l] = ∂J/∂z_l, dHat[l] its per-example form, eps[l] = ∂J/∂h_l (after Linear l, l &lt; L−1). */
  private final Tensor[] delta, dHat, eps;
  /** Per-example loss Hessians ∇²ℓ(z_L[j]) as [B][dL·dL], row-major. */
  private final double[][] lossHessian;
  private final Tensor rowScale;

  /**
   * The primal pass of the step at parameters {@code theta} (in the model's parameter order) on the
   * batch (x [B, in], y) with loss weights {@code weights}.
   */
  MlpStepHvp(Layers layers, List<Tensor> theta, Tensor x, Targets y, double[] weights, Loss loss) {
    this.layers = layers;
    this.np = theta.size();
    int nl = layers.size();
    if (x.rank() != 2) throw new IllegalArgumentException("MLP inputs must be [B, in], got " + Arrays.toString(x.shape()));
    nb = x.dim(0);
    h = new Tensor[nl];
    w = new Tensor[nl];
    d1 = new Tensor[nl];
    d2 = new Tensor[nl];
    delta = new Tensor[nl];
    dHat = new Tensor[nl];
    eps = new Tensor[nl];
    Tensor a = x.detach().owning();
    Tensor z = null;
    for (int l = 0; l < nl; l++) {
      h[l] = a;
      w[l] = theta.get(layers.weight()[l]).detach().owning();
      try (var off = GradMode.off()) {
        z = a.matmul(w[l].t());
        if (layers.bias()[l] >= 0) z = z.add(theta.get(layers.bias()[l]).detach());
      }
      Module act = layers.activations().get(l);
      if (act != null) {
        Tensor[] dd = elementwiseDerivatives(act, z);
        a = dd[0];
        d1[l] = dd[1];
        d2[l] = dd[2];
      } else {
        a = z;
      }
    }
    double[] c = new double[nb];
    for (int j = 0; j < nb; j++) c[j] = weights[j] / nb;
    rowScale = Tensor.of(x.dtype(), c, nb, 1);
    lossHessian = new double[nb][];
    Tensor e = lossDerivatives(loss, z, y, lossHessian);
    try (var off = GradMode.off()) {
      dHat[nl - 1] = e;
      for (int l = nl - 1; l >= 0; l--) {
        delta[l] = dHat[l].mul(rowScale);
        if (l == 0) break;
        Tensor back = dHat[l].matmul(w[l]);
        eps[l - 1] = back.mul(rowScale);
        dHat[l - 1] = times(back, d1[l - 1]);
      }
    }
  }

  /** [φ(z), φ'(z), φ''(z) or null where it vanishes everywhere], from the activation's derivative rules. */
  private static Tensor[] elementwiseDerivatives(Module act, Tensor z) {
    Tensor leaf = z.detach().requiresGrad(true);
    Tensor out = act.forward(leaf);
    Tensor ones = Tensor.ones(z.dtype(), z.shape());
    Tensor first = Autograd.grad(List.of(out), List.of(ones), List.of(leaf), true, true, true).get(0);
    Tensor second = first.requiresGrad() ? Autograd.grad(List.of(first), List.of(ones), List.of(leaf), false, false, true).get(0) : null;
    if (second != null) {
      boolean zero = true;
      for (double v : second.toDoubleArray()) if (v != 0) { zero = false; break; }
      if (zero) second = null;
    }
    return new Tensor[] {out.detach(), first.detach(), second};
  }

  /** ∂ℓⱼ/∂z_L[j] as [B, dL]; fills {@code hessianRows[j]} with ∂²ℓⱼ/∂z_L[j]² (each ℓⱼ depends on row j alone). */
  private Tensor lossDerivatives(Loss loss, Tensor zL, Targets y, double[][] hessianRows) {
    Tensor leaf = zL.detach().requiresGrad(true);
    Tensor per = loss.perExample(leaf, y);
    Tensor e = Autograd.grad(List.of(per), List.of(Tensor.ones(per.dtype(), per.shape())), List.of(leaf), true, true, true).get(0);
    int dl = zL.dim(1);
    for (int j = 0; j < nb; j++) hessianRows[j] = new double[dl * dl];
    for (int c = 0; c < dl; c++) {
      double[] pick = new double[nb * dl];
      for (int j = 0; j < nb; j++) pick[j * dl + c] = 1;
      Tensor col = e.requiresGrad()
          ? Autograd.grad(List.of(e), List.of(Tensor.of(zL.dtype(), pick, nb, dl)), List.of(leaf), false, true, true).get(0)
          : Tensor.zeros(zL.dtype(), nb, dl);
      double[] v = col.toDoubleArray();
      for (int j = 0; j < nb; j++) System.arraycopy(v, j * dl, hessianRows[j], c * dl, dl);
    }
    return e.detach();
  }

  /**
   * H·V for each of the Q directions, stacked per parameter as [Q, ...parameter shape] in the
   * model's parameter order, and D [Q, B] (see the class comment).
   */
  record Products(List<Tensor> hv, Tensor dots) {}

  /** {@link #accumulate} into zeros: the products themselves. */
  Products apply(List<Tensor> directions) {
    List<Tensor> hv = new ArrayList<>(directions.size());
    for (Tensor v : directions) hv.add(Tensor.zeros(v.dtype(), v.shape()));
    int nq = directions.get(0).dim(0);
    double[] dots = new double[nq * nb];
    accumulate(directions, hv, dots);
    return new Products(hv, Tensor.of(dots, nq, nb));
  }

  /** target += H·V and dots for every direction in turn, by one {@link #worker()}. */
  void accumulate(List<Tensor> directions, List<Tensor> target, double[] dots) {
    int nq = directions.get(0).dim(0);
    Worker w = worker();
    for (int q = 0; q < nq; q++) w.accumulate(q, directions, target, dots);
  }

  /**
   * One direction at a time: {@link Worker#accumulate}. Workers share this step's primal pass and
   * hold their own scratch, so that threads working on different directions each take one.
   */
  Worker worker() {
    return new DirectionPass<>(Lanes.of(h[0].dtype()), false);
  }

  /**
   * A {@link #worker()} for the Gauss-Newton matrix G = (1/B)·Σⱼ wⱼ·Jⱼᵀ ∇²ℓⱼ Jⱼ instead of the Hessian:
   * the same tangents without the terms of the network's own second derivatives (δ_l·V_l,
   * δ_lᵀ·ḣ_{l−1} and φ''), four products per layer instead of six.
   */
  Worker gaussNewtonWorker() {
    return new DirectionPass<>(Lanes.of(h[0].dtype()), true);
  }

  interface Worker {
    /**
     * target_q += H·V_q and dots[q·B + j] = Dⱼ for direction q, with V and target stacked per
     * parameter as [Q, ...parameter shape] (contiguous CPU tensors owning their storage, of the
     * primal's dtype).
     *
     * <p>One direction at a time, so that its slices of V and of the target (and, in the sweep, of
     * the optimizer's adjoints, updated just before) stay in the core's cache through its six products
     * per layer, each a GEMM of the batch's size; stacking all directions' tangents made the products
     * with W single GEMMs but streamed every [Q, out, in] stack through memory four times per step.
     * δ_lᵀ·ḣ_{l−1} and δ̇_lᵀ·h_{l−1} are one product of depth 2B over the stacked rows [δ̇_l; δ_l] and
     * [h_{l−1}; ḣ_{l−1}].
     */
    void accumulate(int q, List<Tensor> directions, List<Tensor> target, double[] dots);
  }

  /** The step's primal arrays in the layout of the per-direction products, and one direction's tangents. */
  private final class DirectionPass<A> implements Worker {
    private final Lanes<A> k;
    /** hs[l] = [h_{l−1}; ḣ_{l−1}] [2B, in] (l = 0: h_0 alone); ds[l] = [δ̇_l; δ_l] [2B, out] (l = 0: δ̇_0 alone). */
    private final A[] hs, ds;
    /** dHatTs[l] = δ̂_lᵀ [out, B]; zTs[l] one direction's ż_lᵀ [out, B], zDots[l] the same as [B, out]. */
    private final A[] ws, d1s, e2s, dHatTs, zTs, zDots;
    /**
     * hTs[l] = h_{l−1}ᵀ and hDotTs[l] = ḣ_{l−1}ᵀ [in, B], d1Ts[l] = φ'(z_l)ᵀ [out, B]: the forward
     * products' right operands row-major, which the GEMM reads where they lie instead of packing them.
     */
    private final A[] hTs, hDotTs, d1Ts;
    private final A back;
    private final double[] d, scale;
    private final boolean gaussNewton;

    @SuppressWarnings("unchecked")
    DirectionPass(Lanes<A> k, boolean gaussNewton) {
      this.k = k;
      this.gaussNewton = gaussNewton;
      int nl = layers.size();
      hs = (A[]) new Object[nl];
      ds = (A[]) new Object[nl];
      ws = (A[]) new Object[nl];
      d1s = (A[]) new Object[nl];
      e2s = (A[]) new Object[nl];
      dHatTs = (A[]) new Object[nl];
      zTs = (A[]) new Object[nl];
      zDots = (A[]) new Object[nl];
      hTs = (A[]) new Object[nl];
      hDotTs = (A[]) new Object[nl];
      d1Ts = (A[]) new Object[nl];
      int widest = 0;
      try (var off = GradMode.off()) {
        for (int l = 0; l < nl; l++) {
          int out = w[l].dim(0), in = w[l].dim(1);
          widest = Math.max(widest, in);
          ws[l] = k.storage(w[l]);
          dHatTs[l] = k.alloc(out * nb);
          k.transpose(k.storage(dHat[l].owning()), nb, out, dHatTs[l]);
          zTs[l] = k.alloc(out * nb);
          zDots[l] = k.alloc(nb * out);
          if (d1[l] != null) {
            d1s[l] = k.storage(d1[l].owning());
            d1Ts[l] = k.alloc(out * nb);
            k.transpose(d1s[l], nb, out, d1Ts[l]);
          }
          hTs[l] = k.alloc(in * nb);
          k.transpose(k.storage(h[l].owning()), nb, in, hTs[l]);
          if (l > 0) hDotTs[l] = k.alloc(in * nb);
          if (d2[l] != null) e2s[l] = k.storage(eps[l].mul(d2[l]).owning());
          if (l == 0) {
            hs[l] = k.storage(h[l].owning());
            ds[l] = k.alloc(nb * out);
          } else {
            hs[l] = k.alloc(2 * nb * in);
            System.arraycopy(k.storage(h[l].owning()), 0, hs[l], 0, nb * in);
            ds[l] = k.alloc(2 * nb * out);
            System.arraycopy(k.storage(delta[l].owning()), 0, ds[l], nb * out, nb * out);
          }
        }
      }
      back = k.alloc(nb * widest);
      d = new double[nb];
      scale = rowScale.toDoubleArray();
    }

    @Override
    public void accumulate(int q, List<Tensor> directions, List<Tensor> target, double[] dots) {
      if (directions.size() != np || target.size() != np) throw new IllegalArgumentException(directions.size() + " direction and " + target.size() + " target blocks for " + np + " parameters");
      int nl = layers.size();
      java.util.Arrays.fill(d, 0);
      for (int l = 0; l < nl; l++) {
        int out = w[l].dim(0), in = w[l].dim(1);
        // ż_lᵀ = V_l·h_{l−1}ᵀ + c_l (+ W_l·ḣ_{l−1}ᵀ below), Dⱼ from the first two terms alone. Computed
        // transposed so that V_l and W_l, the large operands, are the products' A, which the GEMM
        // reads in place, rather than their B, which it would pack (with a gather, transposed) per call;
        // h_{l−1}ᵀ and ḣ_{l−1}ᵀ are kept row-major so that small products read them in place too.
        A zt = zTs[l], z = zDots[l];
        k.gemm(false, false, out, nb, in, k.storage(directions.get(layers.weight()[l])), q * out * in, in, hTs[l], 0, nb, zt, 0, nb, false);
        if (layers.bias()[l] >= 0) k.addToEachRow(zt, out, nb, k.storage(directions.get(layers.bias()[l])), q * out);
        k.columnDots(zt, dHatTs[l], out, nb, d);
        if (l > 0) k.gemm(false, false, out, nb, in, ws[l], 0, in, hDotTs[l], 0, nb, zt, 0, nb, true);
        k.transpose(zt, out, nb, z);
        if (l + 1 < nl) {
          k.mul(z, d1s[l], hs[l + 1], nb * out, nb * out);
          k.mul(zt, d1Ts[l], hDotTs[l + 1], 0, out * nb);
        }
      }
      for (int j = 0; j < nb; j++) dots[q * nb + j] = d[j] / nb;
      int dl = w[nl - 1].dim(0);
      k.rowMatrixTimes(zDots[nl - 1], nb, dl, lossHessian, scale, ds[nl - 1]);
      for (int l = nl - 1; l >= 0; l--) {
        int out = w[l].dim(0), in = w[l].dim(1);
        // Gauss-Newton: the first B rows only, δ̇_lᵀ·h_{l−1}.
        k.gemm(true, false, out, in, l == 0 || gaussNewton ? nb : 2 * nb, ds[l], 0, out, hs[l], 0, in, k.storage(target.get(layers.weight()[l])), q * out * in, in, true);
        if (layers.bias()[l] >= 0) k.columnSumsInto(ds[l], nb, out, k.storage(target.get(layers.bias()[l])), q * out);
        if (l == 0) break;
        // δ̇_{l−1} = (δ̇_l·W_l + δ_l·V_l)∘φ'(z_{l−1}) + ż_{l−1}∘(ε_{l−1}∘φ''(z_{l−1})); Gauss-Newton: (δ̇_l·W_l)∘φ'(z_{l−1}).
        k.gemm(false, false, nb, in, out, ds[l], 0, out, ws[l], 0, in, back, 0, in, false);
        if (!gaussNewton) k.gemm(false, false, nb, in, out, ds[l], nb * out, out, k.storage(directions.get(layers.weight()[l])), q * out * in, in, back, 0, in, true);
        if (!gaussNewton && e2s[l - 1] != null) k.mulAdd(back, d1s[l - 1], zDots[l - 1], e2s[l - 1], ds[l - 1], nb * in);
        else k.mul(back, d1s[l - 1], ds[l - 1], 0, nb * in);
      }
    }
  }

  /** x∘φ' where an activation sits, x itself between two Linear layers without one. */
  private static Tensor times(Tensor x, Tensor derivative) {
    return derivative == null ? x : x.mul(derivative);
  }
}
