package dev.unroll.nn;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-example gradients of Linear and Conv2d layers from one forward and one backward pass, by the
 * outer-product identity: if s = W̄·ā row by row and L = Σᵢ Lᵢ with Lᵢ depending only on example
 * i's rows, then ∂Lᵢ/∂W̄ = Σ_{rows r of i} gᵣ āᵣᵀ with g = ∂L/∂s. For a Linear layer on [N, in]
 * that is the outer product gᵢ āᵢᵀ; for Conv2d the sum over the spatial positions of example i,
 * gᵢ (patchesᵢ)ᵀ. Both are one batched matrix product. The gradient g must be that of the summed
 * loss Σᵢ Lᵢ (of the mean it would carry a factor 1/B), and the model must treat examples
 * independently (no batch statistics).
 */
public final class PerExampleGradients {
  private PerExampleGradients() {}

  /**
   * Per-example ∂Lᵢ/∂W̄ as [N, out, k(+1)] (the homogeneous matrix of EK-FAC's eigenvalue
   * correction), from the layer's captured activations and ds = ∂(Σᵢ Lᵢ)/∂s.
   */
  public static Tensor matrices(KfacLayer layer, Tensor ds) {
    Tensor g = layer.outputGradient(ds);
    Tensor a = layer.activations();
    int n = layer.examples(), r = layer.rowsPerExample();
    if (layer.kind() == KfacLayer.Kind.LINEAR) {
      if (r == 1) return outer(g, a);
      // [N, out, R] · [N, R, k+1]: the sum over an example's rows of its outer products.
      return g.reshape(n, r, layer.outFeatures()).transpose(1, 2).matmul(a.reshape(n, r, layer.homogeneousInFeatures()));
    }
    return g.matmul(a.transpose(1, 2));
  }

  /**
   * gᵢ aᵢᵀ for every row i of g [N, out] and a [N, in], as [N, out, in]. A broadcast product rather
   * than N matrix products of inner dimension 1: the same single roundings, without the GEMM's
   * packing per example.
   */
  private static Tensor outer(Tensor g, Tensor a) {
    int n = g.dim(0);
    return g.reshape(n, g.dim(1), 1).mul(a.reshape(n, 1, a.dim(1)));
  }

  /**
   * Per-example gradients of the layer's parameters: the weight's [N, weight shape...] and, with a
   * bias, the bias's [N, out], in the layer's parameter order.
   */
  public static List<Tensor> of(KfacLayer layer, Tensor ds) {
    int n = layer.examples(), k = layer.inFeatures();
    List<Tensor> out = new ArrayList<>(2);
    if (layer.kind() == KfacLayer.Kind.LINEAR && layer.rowsPerExample() == 1) {
      // One row per example: the weight's gradients straight from the inputs, the bias's are ds
      // itself; no homogeneous matrix to cut apart.
      Tensor g = layer.outputGradient(ds);
      out.add(outer(g, layer.activations().slice(1, 0, k)));
      if (layer.hasBias()) out.add(g.contiguous());
      return out;
    }
    Tensor m = matrices(layer, ds);
    int[] wShape = layer.kind() == KfacLayer.Kind.LINEAR
        ? ((Linear) layer.layer()).weight().shape()
        : ((Conv2d) layer.layer()).weight().shape();
    int[] batched = new int[wShape.length + 1];
    batched[0] = n;
    System.arraycopy(wShape, 0, batched, 1, wShape.length);
    out.add(m.slice(2, 0, k).contiguous().reshape(batched));
    if (layer.hasBias()) out.add(m.slice(2, k, k + 1).reshape(n, layer.outFeatures()).contiguous());
    return out;
  }

  /** Per-example gradients of a Linear layer on a [N, in], from g = ∂(Σᵢ Lᵢ)/∂s [N, out]: weight [N, out, in] = gᵢ aᵢᵀ. */
  public static Tensor linear(Tensor a, Tensor g) {
    if (a.rank() != 2 || g.rank() != 2 || a.dim(0) != g.dim(0)) {
      throw new IllegalArgumentException("PerExampleGradients.linear: activations " + java.util.Arrays.toString(a.shape()) + " and output gradients " + java.util.Arrays.toString(g.shape()) + ", expected [N, in] and [N, out]");
    }
    return outer(g, a);
  }

  /**
   * Per-example gradients of every parameter of {@code model} for the examples of x: one tensor
   * [N, parameter shape...] per parameter, in {@link Module#parameters()} order, of Lᵢ = loss of
   * example i. Every parameter must belong to a Linear or Conv2d layer (they are the ones that
   * capture); a layer applied several times gets the sum of its calls' contributions.
   */
  public static List<Tensor> compute(Module model, Tensor x, Targets y, Loss loss) {
    List<Parameter> params = model.parameters();
    Map<Parameter, Tensor> acc = new IdentityHashMap<>();
    try (Capture cap = Capture.start()) {
      Tensor total = loss.sum(model.forward(x), y);
      List<Tensor> ds = Autograd.grad(List.of(total), null, cap.outputs(), false, false, true);
      try (var s = GradMode.off()) {
        List<Capture.Record> rs = cap.records();
        for (int i = 0; i < rs.size(); i++) {
          KfacLayer layer = KfacLayer.of(rs.get(i));
          List<Tensor> g = of(layer, ds.get(i));
          List<Parameter> owned = layer.layer().ownParameters();
          for (int j = 0; j < owned.size(); j++) acc.merge(owned.get(j), g.get(j), Tensor::add);
        }
      }
    }
    List<Tensor> out = new ArrayList<>(params.size());
    for (Parameter p : params) {
      Tensor g = acc.get(p);
      if (g == null) throw new IllegalArgumentException("per-example gradients: parameter '" + p.name() + "' does not belong to a Linear or Conv2d layer called in the forward pass");
      out.add(g);
    }
    return out;
  }

  /** {@link #compute} flattened to one matrix [N, P], columns in {@link ParameterVector} order. */
  public static Tensor flat(Module model, Tensor x, Targets y, Loss loss) {
    List<Tensor> per = compute(model, x, y, loss);
    int n = x.dim(0);
    Tensor[] cols = new Tensor[per.size()];
    try (var s = GradMode.off()) {
      for (int i = 0; i < cols.length; i++) cols[i] = per.get(i).reshape(n, -1);
      return cols.length == 1 ? cols[0].contiguous() : dev.unroll.autodiff.Ops.concat(1, cols);
    }
  }
}
