package dev.unroll.tda.curvature;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.grad.CapturedPass;
import dev.unroll.tda.grad.GradientLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * One block's per-example gradients of a batch in the Kronecker eigenbasis, Q_Sᵀ Gₙ Q_A, without
 * ever rotating a full gradient: Gₙ = Σ_{rows r of n} gᵣ āᵣᵀ, so Q_Sᵀ Gₙ Q_A = Σᵣ (Q_Sᵀ gᵣ)(Q_Aᵀ āᵣ)ᵀ
 * = Uₙᵀ Vₙ with U = g·Q_S and V = ā·Q_A over rows. When the block has one call with one row per
 * example the rotated gradient is the rank-one uₙ vₙᵀ and is never materialised (the costs are
 * B·(out² + in²) instead of B·out·in·(out + in)); otherwise it is formed by one batched product.
 * Everything in float64.
 */
final class RotatedGradients {
  private final Tensor u, v; // rank-one form: [B, out], [B, in]
  private final Tensor full; // [B, out, in]
  private final int batch, out, in;

  private RotatedGradients(Tensor u, Tensor v, Tensor full, int batch, int out, int in) {
    this.u = u;
    this.v = v;
    this.full = full;
    this.batch = batch;
    this.out = out;
    this.in = in;
  }

  /** Block b's rotated per-example gradients from the pass and ∂/∂s of every call. */
  static RotatedGradients of(CapturedPass pass, List<Tensor> ds, int b, Tensor qS, Tensor qA) {
    return of(pass, ds, b, qS, qA, new Tensor[pass.layers().size()]);
  }

  /**
   * As {@link #of(CapturedPass, List, int, Tensor, Tensor)}, with the rotated activations ā·Q_A of
   * each call kept in {@code rotatedInputs} (indexed by call) across calls with other output
   * gradients of the same pass: they do not depend on the output cotangent.
   */
  static RotatedGradients of(CapturedPass pass, List<Tensor> ds, int b, Tensor qS, Tensor qA, Tensor[] rotatedInputs) {
    GradientLayout.Block bl = pass.layout().block(b);
    int n = pass.batchSize();
    List<Integer> calls = new ArrayList<>();
    for (int i = 0; i < pass.layers().size(); i++) if (pass.blockOf(i) == b) calls.add(i);
    try (var s = GradMode.off()) {
      if (calls.isEmpty()) return new RotatedGradients(null, null, pass.onDevice(Tensor.zeros(DType.F64, n, bl.out(), bl.in())), n, bl.out(), bl.in());
      // The bases are small CPU matrices; the rotations run where the pass's gradients are.
      qS = pass.onDevice(qS);
      qA = pass.onDevice(qA);
      if (calls.size() == 1 && pass.rowsPerExample(calls.get(0)) == 1) {
        int c = calls.get(0);
        Tensor uu = pass.gradientRows(c, ds.get(c)).to(DType.F64).matmul(qS);
        Tensor vv = rotatedInput(pass, c, qA, rotatedInputs);
        return new RotatedGradients(uu, vv, null, n, bl.out(), bl.in());
      }
      Tensor acc = null;
      for (int c : calls) {
        int r = pass.rowsPerExample(c);
        Tensor uu = pass.gradientRows(c, ds.get(c)).to(DType.F64).matmul(qS).reshape(n, r, bl.out()).transpose(1, 2);
        Tensor vv = rotatedInput(pass, c, qA, rotatedInputs).reshape(n, r, bl.in());
        Tensor m = uu.matmul(vv);
        acc = acc == null ? m : acc.add(m);
      }
      return new RotatedGradients(null, null, acc, n, bl.out(), bl.in());
    }
  }

  private static Tensor rotatedInput(CapturedPass pass, int call, Tensor qA, Tensor[] cache) {
    if (cache[call] == null) cache[call] = pass.activationRows(call).to(DType.F64).matmul(qA);
    return cache[call];
  }

  /** Σₙ (Q_Sᵀ Gₙ Q_A)² entrywise, [out, in]. */
  Tensor sumOfSquares() {
    try (var s = GradMode.off()) {
      if (full != null) return full.mul(full).sum(0);
      return u.mul(u).t().matmul(v.mul(v));
    }
  }

  /** Σ_ij φ_ij (Q_Sᵀ Gₙ Q_A)²_ij for every example n, [B]: gₙᵀ φ(G) gₙ for a Kronecker-eigenbasis φ. */
  double[] quadratic(Tensor phi) {
    try (var s = GradMode.off()) {
      Tensor on = full != null ? full : u;
      if (!on.backend().isCpu() && phi.backend() != on.backend()) phi = phi.to(on.backend());
      if (full != null) return full.mul(full).mul(phi).sum(1, 2).toDoubleArray();
      return u.mul(u).matmul(phi).mul(v.mul(v)).sum(1).toDoubleArray();
    }
  }

  /** The rotated gradients [B, out, in] (materialised if in rank-one form). */
  Tensor materialise() {
    try (var s = GradMode.off()) {
      if (full != null) return full;
      return u.reshape(batch, out, 1).matmul(v.reshape(batch, 1, in));
    }
  }
}
