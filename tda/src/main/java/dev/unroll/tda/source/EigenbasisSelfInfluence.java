package dev.unroll.tda.source;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.curvature.KroneckerCurvature;
import dev.unroll.tda.curvature.KroneckerEigen;
import dev.unroll.tda.grad.CapturedPass;
import dev.unroll.tda.grad.GradientLayout;
import dev.unroll.tda.grad.Gradients;
import java.util.List;

/**
 * SOURCE's self-influence for Kronecker segment curvatures, SGD-type stages and a model whose
 * every block has rank-one per-example gradients (an MLP: ∇_{W̄} L(z) = g āᵀ), computed in the
 * segments' eigenbases. It equals {@link Source#selfInfluence}'s general path, which forms
 * u_ℓ(z) = r̄_ℓᵀ S̄_{ℓ+1}ᵀ ⋯ S̄_Lᵀ ∇L(z, θ_T) in parameter coordinates and dots it with every
 * checkpoint gradient.
 *
 * <p>Per block, write Q_S^ℓ, Q_A^ℓ for segment ℓ's eigenbases, φ_r^ℓ, φ_S^ℓ [out × in] for the gain
 * and propagation maps of its eigenvalues and X_ℓ(z) = Q_S^ℓᵀ S̄_{ℓ+1}ᵀ ⋯ S̄_Lᵀ ∇L(z, θ_T) Q_A^ℓ
 * for the propagated final gradient in segment ℓ's coordinates. Then
 * <pre>
 *   ⟨u_ℓ(z), g_c ā_cᵀ⟩ = Σ_ab φ_r^ℓ[a,b] X_ℓ[a,b] (Q_S^ℓᵀ g_c)_a (Q_A^ℓᵀ ā_c)_b,
 *   X_L = (Q_S^Lᵀ g_T)(Q_A^Lᵀ ā_T)ᵀ,   X_{ℓ−1} = R_Sᵀ (φ_S^ℓ ⊙ X_ℓ) R_A,
 *   R_S = Q_S^ℓᵀ Q_S^{ℓ−1}, R_A = Q_A^ℓᵀ Q_A^{ℓ−1},
 * </pre>
 * (gradient rows g, input rows ā at the final parameters T and at checkpoint c). The last
 * segment's terms are rank one on both sides, Σ_a (u_T ∘ u_c)_a [φ_r (v_T ∘ v_c)]_a, one GEMM per
 * batch; each earlier segment costs one change of basis per example (two matrix products of
 * [out × in] by [out × out] and [in × in]) where the general path rotates into and out of every
 * segment's basis three times and forms every checkpoint's per-example gradients. All in float64,
 * like the rest of SOURCE's segment algebra (in the parameters' dtype the changes of basis of a
 * float32 model ran about 1.4 times faster: not worth the rounding).
 */
final class EigenbasisSelfInfluence {
  /** Examples per change of basis of a block: bounds the per-example matrices held at once (doubles). */
  private static final long CHUNK_ENTRIES = 1L << 22;

  private final Source source;
  private final KroneckerEigen[][] eigen; // [segment][block]
  private final Tensor[][] gain, propagate; // φ_r, φ_S [segment][block], [out, in]
  private final Tensor[][] rSt, rA; // change of basis from segment ℓ to ℓ−1 [ℓ][block]: R_Sᵀ, R_A

  private EigenbasisSelfInfluence(Source source) {
    this.source = source;
    List<FittedSegment> fs = source.segments();
    int nb = source.inputs().task().layout().numBlocks();
    eigen = new KroneckerEigen[fs.size()][nb];
    gain = new Tensor[fs.size()][nb];
    propagate = new Tensor[fs.size()][nb];
    rSt = new Tensor[fs.size()][nb];
    rA = new Tensor[fs.size()][nb];
    try (var g = GradMode.off()) {
      for (int l = 0; l < fs.size(); l++) {
        KroneckerCurvature k = ((SegmentCurvature.Kronecker) fs.get(l).curvature()).curvature();
        for (int b = 0; b < nb; b++) {
          KroneckerEigen e = k.layer(b);
          eigen[l][b] = e;
          gain[l][b] = e.map(fs.get(l).gainFunction());
          propagate[l][b] = e.map(fs.get(l).propagateFunction());
          if (l > 0) {
            KroneckerEigen prev = eigen[l - 1][b];
            rSt[l][b] = prev.qS().t().matmul(e.qS()).contiguous();
            rA[l][b] = e.qA().t().matmul(prev.qA()).contiguous();
          }
        }
      }
    }
  }

  /**
   * This path when it applies to {@code source}: every segment Kronecker, no stage preconditioned
   * (Adam's P^{1/2} breaks the rank-one form), and every block of the model rank one; else null.
   */
  static EigenbasisSelfInfluence of(Source source) {
    for (FittedSegment f : source.segments()) {
      if (!(f.curvature() instanceof SegmentCurvature.Kronecker) || f.sqrtPreconditioner() != null) return null;
    }
    AttributionTask t = source.inputs().task();
    if (t.numTrain() == 0) return null;
    boolean rankOne = CapturedPass.run(t.model(), t.layout(), source.inputs().finalParameters(), t.train().batch(new int[] {0}).x(), pass -> {
      for (int b = 0; b < t.layout().numBlocks(); b++) if (!pass.isRankOne(b)) return false;
      return true;
    });
    return rankOne ? new EigenbasisSelfInfluence(source) : null;
  }

  /** τ(z_m, z_m) for the training rows {@code rows} of the task, added into out[rows[i]]. */
  void addBatch(int[] rows, int[][] rowOf, double[] out) {
    SourceInputs in = source.inputs();
    AttributionTask t = in.task();
    List<FittedSegment> fs = source.segments();
    int nb = t.layout().numBlocks(), nseg = fs.size(), n = rows.length;
    Tensor[][] fin = Gradients.trainingFactors(t, in.finalParameters(), rows);
    // Checkpoint factors of every segment, over the batch's rows (zero rows for examples outside the segment's stage).
    Tensor[][][][] ck = new Tensor[nseg][][][];
    double[] weight = new double[nseg];
    for (int l = 0; l < nseg; l++) {
      SourceSegment seg = fs.get(l).segment();
      int s = seg.stage();
      int[] stageRows = new int[n], pos = new int[n];
      int k = 0;
      for (int i = 0; i < n; i++) {
        if (rowOf[s][rows[i]] >= 0) stageRows[k++] = rowOf[s][rows[i]];
      }
      if (k == 0) continue;
      int[] sr = java.util.Arrays.copyOf(stageRows, k);
      for (int i = 0, j = 0; i < n; i++) pos[i] = rowOf[s][rows[i]] >= 0 ? j++ : k;
      weight[l] = in.stageWeight(s) / seg.numCheckpoints();
      ck[l] = new Tensor[seg.numCheckpoints()][][];
      for (int c = 0; c < seg.numCheckpoints(); c++) {
        Tensor[][] f = Gradients.trainingFactors(in.stageTask(s), seg.checkpoints().get(c).parameters(), sr);
        if (k < n) {
          try (var g = GradMode.off()) {
            for (Tensor[] ga : f) for (int j = 0; j < 2; j++) ga[j] = padRows(ga[j], pos);
          }
        }
        ck[l][c] = f;
      }
    }
    double[] total = new double[n];
    try (var g = GradMode.off()) {
      for (int b = 0; b < nb; b++) {
        GradientLayout.Block bl = t.layout().block(b);
        int chunk = (int) Math.max(1, Math.min(n, CHUNK_ENTRIES / ((long) bl.out() * bl.in())));
        for (int start = 0; start < n; start += chunk) {
          int end = Math.min(n, start + chunk);
          double[] part = block(b, fin[b], ck, weight, start, end);
          for (int i = 0; i < part.length; i++) total[start + i] += part[i];
        }
      }
    }
    for (int i = 0; i < n; i++) out[rows[i]] += total[i];
  }

  /** Block b's contribution for the examples [start, end) of the batch. */
  private double[] block(int b, Tensor[] fin, Tensor[][][][] ck, double[] weight, int start, int end) {
    int nseg = eigen.length, m = end - start;
    Backend dev = fin[0].backend();
    int last = nseg - 1;
    Tensor uT = fin[0].slice(0, start, end).matmul(on(dev, eigen[last][b].qS()));
    Tensor vT = fin[1].slice(0, start, end).matmul(on(dev, eigen[last][b].qA()));
    Tensor acc = null;
    Tensor x = null; // X_ℓ [m, out, in] once past the last segment
    for (int l = last; l >= 0; l--) {
      KroneckerEigen e = eigen[l][b];
      Tensor phiR = on(dev, gain[l][b]);
      if (ck[l] != null) {
        Tensor qS = on(dev, e.qS()), qA = on(dev, e.qA());
        Tensor z = x == null ? null : x.mul(phiR);
        for (Tensor[][] f : ck[l]) {
          Tensor uc = f[b][0].slice(0, start, end).matmul(qS), vc = f[b][1].slice(0, start, end).matmul(qA);
          Tensor term = x == null
              ? uT.mul(uc).matmul(phiR).mul(vT.mul(vc)).sum(1)
              : z.matmul(vc.reshape(m, vc.dim(1), 1)).reshape(m, uc.dim(1)).mul(uc).sum(1);
          term = term.mul(weight[l]);
          acc = acc == null ? term : acc.add(term);
        }
      }
      if (l == 0) break;
      Tensor phiS = on(dev, propagate[l][b]);
      Tensor y = x == null
          ? uT.reshape(m, uT.dim(1), 1).mul(phiS).mul(vT.reshape(m, 1, vT.dim(1)))
          : x.mul(phiS);
      int out = y.dim(1), inn = y.dim(2);
      Tensor right = y.reshape(m * out, inn).matmul(on(dev, rA[l][b])).reshape(m, out, inn);
      x = on(dev, rSt[l][b]).matmul(right);
    }
    return acc == null ? new double[m] : acc.toDoubleArray();
  }

  /** Rows of {@code t} [k, d] placed at positions pos (k = a zero row): [pos.length, d]. */
  private static Tensor padRows(Tensor t, int[] pos) {
    Tensor zero = Tensor.zeros(t.dtype(), 1, t.dim(1));
    if (!t.backend().isCpu()) zero = zero.to(t.backend());
    return Ops.indexSelect(Ops.concat(0, t, zero), 0, pos).contiguous();
  }

  private static Tensor on(Backend dev, Tensor x) {
    if (x.backend() == dev || (x.backend().isCpu() && dev.isCpu())) return x;
    return x.to(dev);
  }
}
