package dev.unroll.autodiff;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Derivative products built on the reverse-mode engine, for functions of a list of parameter
 * tensors: gradient, vector-Jacobian product, Jacobian-vector product (by the double-VJP trick),
 * Hessian-vector product (reverse over reverse), many HVPs sharing one gradient graph, and the
 * explicit Hessian built column by column (for small models and tests).
 */
public final class Derivatives {
  private Derivatives() {}

  /** ∇f(θ) for a scalar f, without building a graph. */
  public static List<Tensor> gradient(Tensor f, List<Tensor> params) {
    return Autograd.grad(List.of(f), null, params, false, false, true);
  }

  /** Jᵀw for y = F(θ) and w shaped like y. */
  public static List<Tensor> vjp(Tensor y, List<Tensor> params, Tensor w, boolean createGraph) {
    return Autograd.grad(List.of(y), List.of(w), params, createGraph, createGraph, true);
  }

  /**
   * J·u for y = F(θ), by differentiating the linear map w ↦ ⟨Jᵀw, u⟩ with respect to w: its gradient
   * is J·u. The forward graph of y is retained.
   */
  public static Tensor jvp(Tensor y, List<Tensor> params, List<Tensor> u) {
    Tensor w = Tensor.zeros(y.dtype(), y.shape()).requiresGrad(true);
    if (!y.backend.isCpu()) w = y.backend.fromCpu(w).requiresGrad(true);
    List<Tensor> jtw = Autograd.grad(List.of(y), List.of(w), params, true, true, true);
    Tensor s = dot(jtw, u);
    if (!s.requiresGrad) return zerosLike(y);
    return Autograd.grad(List.of(s), null, List.of(w), false, false, true).get(0);
  }

  /** H·v for a scalar f: the gradient of ⟨∇f, v⟩. The forward graph is retained. */
  public static List<Tensor> hvp(Tensor f, List<Tensor> params, List<Tensor> v) {
    List<Tensor> g = Autograd.grad(List.of(f), null, params, true, true, true);
    return hvpFromGradient(g, params, v, false);
  }

  /**
   * H·vⱼ for each vector vⱼ, with one gradient graph built once and differentiated once per vector.
   */
  public static List<List<Tensor>> hvpBatch(Tensor f, List<Tensor> params, List<List<Tensor>> vs) {
    List<Tensor> g = Autograd.grad(List.of(f), null, params, true, true, true);
    List<List<Tensor>> out = new ArrayList<>(vs.size());
    for (List<Tensor> v : vs) out.add(hvpFromGradient(g, params, v, true));
    return out;
  }

  /** H·v from a gradient built with createGraph. */
  public static List<Tensor> hvpFromGradient(List<Tensor> grad, List<Tensor> params, List<Tensor> v, boolean retain) {
    Tensor s = dot(grad, v);
    if (!s.requiresGrad) {
      List<Tensor> zeros = new ArrayList<>();
      for (Tensor p : params) zeros.add(zerosLike(p));
      return zeros;
    }
    return Autograd.grad(List.of(s), null, params, false, retain, true);
  }

  /** Zeros of x's shape and dtype on x's backend. */
  private static Tensor zerosLike(Tensor x) {
    Tensor z = Tensor.zeros(x.dtype(), x.shape());
    return x.backend.isCpu() ? z : x.backend.fromCpu(z);
  }

  /** Σᵢ ⟨aᵢ, bᵢ⟩ as a scalar tensor (differentiable in a; b is treated as given). */
  public static Tensor dot(List<Tensor> a, List<Tensor> b) {
    if (a.size() != b.size()) throw new IllegalArgumentException("dot: " + a.size() + " vs " + b.size() + " tensors");
    Tensor s = null;
    for (int i = 0; i < a.size(); i++) {
      Tensor t = Ops.sum(Ops.mul(a.get(i), b.get(i)), false);
      s = s == null ? t : Ops.add(s, t);
    }
    return s;
  }

  /**
   * The explicit Hessian of f at x (a flat vector of n entries), n×n, one HVP per column. {@code f}
   * builds the scalar from a tensor that requires grad.
   */
  public static double[][] hessian(Function<Tensor, Tensor> f, Tensor x) {
    Tensor p = x.detach().requiresGrad(true);
    int n = p.numel();
    Tensor y = f.apply(p);
    List<Tensor> g = Autograd.grad(List.of(y), null, List.of(p), true, true, true);
    double[][] h = new double[n][];
    for (int j = 0; j < n; j++) {
      double[] e = new double[n];
      e[j] = 1;
      Tensor ej = Tensor.of(p.dtype(), e, p.shape());
      if (!p.backend.isCpu()) ej = p.backend.fromCpu(ej);
      Tensor col = hvpFromGradient(g, List.of(p), List.of(ej), true).get(0);
      h[j] = col.toDoubleArray();
    }
    // Column j of H is H·eⱼ; transpose so that h[i][j] = ∂²f/∂xᵢ∂xⱼ.
    double[][] ht = new double[n][n];
    for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) ht[i][j] = h[j][i];
    return ht;
  }
}
