package dev.unroll.tda.curvature;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
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

  /** Block b's rotated per-example gradients for output direction k of the rows. */
  static RotatedGradients of(PassRows rows, int direction, int b, Tensor qS, Tensor qA) {
    return of(rows, direction, b, qS, qA, new Tensor[rows.calls()]);
  }

  /**
   * As {@link #of(PassRows, int, int, Tensor, Tensor)}, with the rotated activations ā·Q_A of each
   * call kept in {@code rotatedInputs} (indexed by call) across the output directions of the same
   * rows: they do not depend on the direction.
   */
  static RotatedGradients of(PassRows rows, int direction, int b, Tensor qS, Tensor qA, Tensor[] rotatedInputs) {
    GradientLayout.Block bl = rows.layout().block(b);
    int n = rows.batchSize();
    List<Integer> calls = new ArrayList<>();
    for (int i = 0; i < rows.calls(); i++) if (rows.blockOf(i) == b) calls.add(i);
    try (var s = GradMode.off()) {
      if (calls.isEmpty()) return new RotatedGradients(null, null, rows.onDevice(Tensor.zeros(DType.F64, n, bl.out(), bl.in())), n, bl.out(), bl.in());
      // The bases are small CPU matrices; the rotations run where the pass's gradients are.
      qS = rows.onDevice(qS);
      qA = rows.onDevice(qA);
      if (calls.size() == 1 && rows.rowsPerExample(calls.get(0)) == 1) {
        int c = calls.get(0);
        Tensor uu = rows.gradients(direction, c).to(DType.F64).matmul(qS);
        Tensor vv = rotatedInput(rows, c, qA, rotatedInputs);
        return new RotatedGradients(uu, vv, null, n, bl.out(), bl.in());
      }
      Tensor acc = null;
      for (int c : calls) {
        int r = rows.rowsPerExample(c);
        Tensor uu = rows.gradients(direction, c).to(DType.F64).matmul(qS).reshape(n, r, bl.out()).transpose(1, 2);
        Tensor vv = rotatedInput(rows, c, qA, rotatedInputs).reshape(n, r, bl.in());
        Tensor m = uu.matmul(vv);
        acc = acc == null ? m : acc.add(m);
      }
      return new RotatedGradients(null, null, acc, n, bl.out(), bl.in());
    }
  }

  private static Tensor rotatedInput(PassRows rows, int call, Tensor qA, Tensor[] cache) {
    if (cache[call] == null) cache[call] = rows.activations(call).to(DType.F64).matmul(qA);
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
