package dev.unroll.tda.grad;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.RankOneDots;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Capture;
import dev.unroll.nn.KfacLayer;
import dev.unroll.nn.Module;
import dev.unroll.nn.PerExampleGradients;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One forward pass of a batch through a model at given parameter values with every Linear and
 * Conv2d call captured ({@link Capture}), from which any number of backward passes give the
 * gradients ∂/∂s of the captured pre-activations. Everything the attribution methods compute per
 * example comes from here: per-example gradients (outer-product identity), Kronecker factors and
 * eigenvalue corrections.
 *
 * <p>The parameter values are used through fresh leaves that share their storage, so the caller's
 * tensors are neither marked nor given gradients. Inputs are converted to the parameters' dtype.
 *
 * <p>Device: a pass computes where its parameter values live, or, inside {@link #onDevice}, on
 * that thread's device, to which CPU parameter values (checkpoints) and inputs are copied for the
 * pass. Everything the pass hands out then lives on {@link #backend()}; callers bring their own
 * CPU tensors there with {@link #onDevice(Tensor)} and read results back at the edge (scores,
 * factors).
 */
public final class CapturedPass {
  private static final ThreadLocal<Backend> DEVICE = new ThreadLocal<>();

  private final GradientLayout layout;
  private final Tensor output;
  private final List<KfacLayer> layers;
  private final List<Tensor> inputs;
  private final int[] blockOf;
  private final int batch;

  private CapturedPass(GradientLayout layout, Tensor output, List<KfacLayer> layers, List<Tensor> inputs, int[] blockOf, int batch) {
    this.layout = layout;
    this.output = output;
    this.layers = layers;
    this.inputs = inputs;
    this.blockOf = blockOf;
    this.batch = batch;
  }

  /**
   * Runs {@code body} on the pass of {@code x} through {@code model} at {@code params} (in
   * {@link Module#parameters()} order). The parameters are restored afterwards.
   */
  public static <T> T run(Module model, GradientLayout layout, List<Tensor> params, Tensor x, Function<CapturedPass, T> body) {
    List<Tensor> leaves = leaves(params);
    Backend device = DEVICE.get();
    if (device != null && !device.isCpu()) {
      // Checkpoints stay on the CPU; each pass copies them (parameters are small next to a batch's activations).
      try (var off = GradMode.off()) {
        for (int i = 0; i < leaves.size(); i++) {
          Tensor p = leaves.get(i);
          if (p.backend() != device) leaves.set(i, p.detach().to(device).requiresGrad(true));
        }
      }
    }
    DType dtype = leaves.get(0).dtype();
    Backend where = leaves.get(0).backend();
    Tensor converted = x.detach().to(dtype);
    Tensor input = !where.isCpu() && converted.backend() != where ? converted.to(where) : converted;
    return model.withParameters(leaves, () -> {
      Tensor out;
      List<Capture.Record> records;
      try (Capture cap = Capture.start()) {
        out = model.forward(input);
        records = new ArrayList<>(cap.records());
      }
      List<KfacLayer> ls = new ArrayList<>(records.size());
      List<Tensor> ins = new ArrayList<>(records.size());
      int[] blocks = new int[records.size()];
      for (int i = 0; i < records.size(); i++) {
        GradientLayout.Block b = layout.blockOf(records.get(i).layer());
        if (b == null) throw new IllegalArgumentException("captured layer " + records.get(i).name() + " is not a layer of the model the layout was built for");
        blocks[i] = b.index();
        ls.add(KfacLayer.of(records.get(i)));
        ins.add(records.get(i).input().detach());
      }
      return body.apply(new CapturedPass(layout, out, ls, ins, blocks, input.dim(0)));
    });
  }

  /**
   * Runs {@code body} with every pass of this thread computing on {@code device} (a CPU backend:
   * where the parameter values are, as outside). Scopes nest; the previous device is restored.
   */
  public static <T> T onDevice(Backend device, Supplier<T> body) {
    Backend prev = DEVICE.get();
    DEVICE.set(device);
    try {
      return body.get();
    } finally {
      if (prev == null) DEVICE.remove();
      else DEVICE.set(prev);
    }
  }

  /** The device set by {@link #onDevice} on this thread, or null. */
  public static Backend device() {
    return DEVICE.get();
  }

  /** The backend this pass computes on (that of its output). */
  public Backend backend() {
    return output.backend();
  }

  /** {@code x} on this pass's backend: itself when already there (or both on the CPU), else a copy. */
  public Tensor onDevice(Tensor x) {
    return onBackend(backend(), x);
  }

  /** {@code x} on backend {@code b}: itself when already there (or both on the CPU), else a copy. */
  public static Tensor onBackend(Backend b, Tensor x) {
    if (x.backend() == b || (x.backend().isCpu() && b.isCpu())) return x;
    try (var s = GradMode.off()) {
      return x.detach().to(b);
    }
  }

  /** Fresh leaves requiring grad over the same storage (the caller's tensors stay untouched). */
  public static List<Tensor> leaves(List<Tensor> params) {
    if (params.isEmpty()) throw new IllegalArgumentException("no parameter values given");
    List<Tensor> out = new ArrayList<>(params.size());
    DType dt = params.get(0).dtype();
    for (int i = 0; i < params.size(); i++) {
      Tensor p = params.get(i);
      if (p.dtype() != dt) throw new IllegalArgumentException("parameter values of mixed dtypes: value 0 is " + dt + ", value " + i + " is " + p.dtype());
      out.add(p.detach().requiresGrad(true));
    }
    return out;
  }

  public GradientLayout layout() {
    return layout;
  }

  /** The model's output, a graph node. */
  public Tensor output() {
    return output;
  }

  /** B, the number of examples in the batch. */
  public int batchSize() {
    return batch;
  }

  /** The captured calls in execution order. */
  public List<KfacLayer> layers() {
    return layers;
  }

  /** The input of captured call i as the layer received it (detached): [B, ..., in] or [B, C, H, W]. */
  public Tensor input(int call) {
    return inputs.get(call);
  }

  /** The block of captured call i. */
  public int blockOf(int call) {
    return blockOf[call];
  }

  /** ∂(Σᵢ objectiveᵢ)/∂s for every captured call, from the scalar {@code total} (a function of {@link #output()}). */
  public List<Tensor> gradients(Tensor total, boolean retainGraph) {
    if (total.numel() != 1) throw new IllegalArgumentException("CapturedPass.gradients needs a scalar, got a tensor of " + total.numel() + " entries");
    return Autograd.grad(List.of(total), null, outputs(), false, retainGraph, true);
  }

  /** The vector-Jacobian product of the output with {@code cotangent} (shaped like the output), as ∂/∂s for every captured call. */
  public List<Tensor> vjp(Tensor cotangent, boolean retainGraph) {
    return Autograd.grad(List.of(output), List.of(onDevice(cotangent.to(output.dtype()))), outputs(), false, retainGraph, true);
  }

  private List<Tensor> outputs() {
    List<Tensor> out = new ArrayList<>(layers.size());
    for (KfacLayer l : layers) out.add(l.output());
    return out;
  }

  /**
   * Per-example gradients as matrices, one tensor [B, out, in] per block (the homogeneous W̄ of
   * {@link GradientLayout}), from ∂/∂s of a per-example-separable sum; a layer called several
   * times gets the sum of its calls. A block with no call gets zeros.
   */
  public List<Tensor> blockGradients(List<Tensor> ds) {
    Tensor[] acc = new Tensor[layout.numBlocks()];
    try (var s = GradMode.off()) {
      for (int i = 0; i < layers.size(); i++) {
        Tensor m = PerExampleGradients.matrices(layers.get(i), ds.get(i));
        int b = blockOf[i];
        acc[b] = acc[b] == null ? m : acc[b].add(m);
      }
      List<Tensor> out = new ArrayList<>(acc.length);
      for (int b = 0; b < acc.length; b++) {
        GradientLayout.Block bl = layout.block(b);
        out.add(acc[b] != null ? acc[b] : onDevice(Tensor.zeros(output.dtype(), batch, bl.out(), bl.in())));
      }
      return out;
    }
  }

  /** The captured calls of block b, in execution order. */
  public int[] callsOf(int block) {
    int n = 0;
    for (int c : blockOf) if (c == block) n++;
    int[] out = new int[n];
    n = 0;
    for (int i = 0; i < blockOf.length; i++) if (blockOf[i] == block) out[n++] = i;
    return out;
  }

  /** Whether block b's per-example gradients are rank one: one call with one row per example, gₙ āₙᵀ. */
  public boolean isRankOne(int block) {
    int[] calls = callsOf(block);
    return calls.length == 1 && rowsPerExample(calls[0]) == 1;
  }

  /** Per-example gradients of block b alone, [B, out, in] (zeros when it has no call). */
  public Tensor blockGradient(int block, List<Tensor> ds) {
    Tensor acc = null;
    try (var s = GradMode.off()) {
      for (int c : callsOf(block)) {
        Tensor m = PerExampleGradients.matrices(layers.get(c), ds.get(c));
        acc = acc == null ? m : acc.add(m);
      }
      if (acc != null) return acc;
      GradientLayout.Block bl = layout.block(block);
      return onDevice(Tensor.zeros(output.dtype(), batch, bl.out(), bl.in()));
    }
  }

  /**
   * ⟨u_q, ∇_{W̄_b} ℓₙ⟩ for every row u_q of {@code u} [Q, out, in] (block b's part of query vectors,
   * in the parameters' dtype) and every example n, as [Q, B], where ∇ℓₙ is the per-example gradient
   * of the sum whose ∂/∂s is {@code ds}. For a rank-one block, ⟨U, g āᵀ⟩ = gᵀUā is computed as one
   * GEMM Ā·[U_1; ...; U_Q]ᵀ (on the CPU by chunks of queries, {@link #rankOneDots}) followed by a
   * product with g and a sum over outputs, never forming the per-example gradients; otherwise the
   * gradients are formed and multiplied.
   */
  public Tensor blockDots(int block, List<Tensor> ds, Tensor u) {
    GradientLayout.Block bl = layout.block(block);
    int q = u.dim(0);
    try (var s = GradMode.off()) {
      if (isRankOne(block)) {
        int c = callsOf(block)[0];
        Tensor a = activationRows(c), g = gradientRows(c, ds.get(c));
        return rankOneDots(a, g, u.reshape(q * bl.out(), bl.in()), q, bl.out());
      }
      Tensor m = blockGradient(block, ds).reshape(batch, bl.size());
      return u.reshape(q, bl.size()).matmul(m.t());
    }
  }

  /**
   * d[q, n] = ⟨gₙaₙᵀ, U_q⟩ = Σ_o gₙ,o·(aₙ·U_q[o, :]) for activation rows a [B, in], output-gradient
   * rows g [B, out] and query blocks u [Q·out, in] of one dtype, as [Q, B]: on the CPU by
   * {@link RankOneDots} (chunks of queries, never the B·Q·out intermediate whole: 13 MB per layer
   * and batch for Concrete's 103 queries, whose allocation cost more than the product); on a device
   * as one product a·uᵀ contracted with g there.
   */
  public static Tensor rankOneDots(Tensor a, Tensor g, Tensor u, int q, int out) {
    try (var s = GradMode.off()) {
      if (a.backend().isCpu()) return RankOneDots.compute(a, g, u, q, out);
      return contract(a.matmul(u.t()), g, q, out);
    }
  }

  /** d[q, n] = Σ_o z[n, q·out + o]·g[n, o], as [Q, B]. */
  static Tensor contract(Tensor z, Tensor g, int q, int out) {
    int b = z.dim(0);
    return z.reshape(b, q, out).mul(g.reshape(b, 1, out)).sum(2).t();
  }

  /**
   * The rank-one factors of block b's per-example gradients, {g [B, out], ā [B, in]} in float64 on
   * this pass's backend, with ∇_{W̄_b} ℓₙ = gₙ āₙᵀ (ā in homogeneous coordinates: the bias column is
   * the constant 1); null when the block is not rank one ({@link #isRankOne}).
   */
  public Tensor[] rankOneFactors(int block, List<Tensor> ds) {
    if (!isRankOne(block)) return null;
    int c = callsOf(block)[0];
    try (var s = GradMode.off()) {
      return new Tensor[] {gradientRows(c, ds.get(c)).to(DType.F64), activationRows(c).to(DType.F64)};
    }
  }

  /**
   * ‖∇_{W̄_b} ℓₙ‖² (Frobenius, bias column included) for every example n, float64 [B] on this pass's
   * backend, of the sum whose ∂/∂s is {@code ds}. A rank-one block uses ‖g āᵀ‖² = ‖g‖²·‖ā‖² (two
   * row sums, no per-example matrix); other blocks (convolutions, shared layers: a sum of outer
   * products over rows) form their per-example gradients.
   */
  public Tensor blockSquaredNorms(int block, List<Tensor> ds) {
    try (var s = GradMode.off()) {
      Tensor[] f = rankOneFactors(block, ds);
      if (f != null) return f[0].mul(f[0]).sum(1).mul(f[1].mul(f[1]).sum(1));
      Tensor m = blockGradient(block, ds).to(DType.F64);
      return m.mul(m).sum(1, 2);
    }
  }

  /** ‖∇ℓₙ‖² over all blocks for every example n (the sum of {@link #blockSquaredNorms}), on the CPU. */
  public double[] squaredNorms(List<Tensor> ds) {
    Tensor total = null;
    try (var s = GradMode.off()) {
      for (int b = 0; b < layout.numBlocks(); b++) {
        Tensor n = blockSquaredNorms(b, ds);
        total = total == null ? n : total.add(n);
      }
    }
    return total.toDoubleArray();
  }

  /** Per-example gradients flattened in block order, [B, P]. */
  public Tensor flatGradients(List<Tensor> ds) {
    return layout.concat(blockGradients(ds));
  }

  /**
   * Call i's inputs in homogeneous coordinates as rows [B·R, in] (R rows per example: positions of
   * a sequence, or output pixels of a convolution, example-major).
   */
  public Tensor activationRows(int call) {
    KfacLayer l = layers.get(call);
    Tensor a = l.activations();
    try (var s = GradMode.off()) {
      if (l.kind() == KfacLayer.Kind.LINEAR) return a;
      return a.transpose(1, 2).contiguous().reshape(l.examples() * l.rowsPerExample(), l.homogeneousInFeatures());
    }
  }

  /** Call i's output gradient ds as rows [B·R, out], in the row order of {@link #activationRows}. */
  public Tensor gradientRows(int call, Tensor ds) {
    KfacLayer l = layers.get(call);
    try (var s = GradMode.off()) {
      Tensor g = l.outputGradient(ds.detach());
      if (l.kind() == KfacLayer.Kind.LINEAR) return g;
      return g.transpose(1, 2).contiguous().reshape(l.examples() * l.rowsPerExample(), l.outFeatures());
    }
  }

  /** R, the rows per example of call i. */
  public int rowsPerExample(int call) {
    return layers.get(call).rowsPerExample();
  }
}
