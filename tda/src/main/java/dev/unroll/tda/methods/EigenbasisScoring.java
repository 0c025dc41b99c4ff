package dev.unroll.tda.methods;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.curvature.KroneckerCurvature;
import dev.unroll.tda.curvature.KroneckerEigen;
import dev.unroll.tda.curvature.SpectralFunction;
import dev.unroll.tda.grad.BlockQueries;
import dev.unroll.tda.grad.CapturedPass;
import dev.unroll.tda.grad.GradientDots;
import dev.unroll.tda.grad.GradientLayout;
import dev.unroll.tda.grad.OuterProductQueries;
import dev.unroll.tda.grad.Gradients;
import java.util.ArrayList;
import java.util.List;

/**
 * Pairwise scores ⟨φ(G)∇f(z_q), ∇L(z_n)⟩ for a block-diagonal Kronecker curvature, computed in the
 * Kronecker eigenbasis wherever a block's per-example gradients are rank one (gₙ āₙᵀ: one call, one
 * row per example, as in an MLP). There both sides rotate cheaply, Q_Sᵀ (g āᵀ) Q_A = u vᵀ with
 * u = Q_Sᵀg and v = Q_Aᵀā, and
 * τ_b(q, n) = Σ_ij φ(Λ)_ij (u_q)_i (v_q)_j (uₙ)_i (vₙ)_j = uₙᵀ M_q vₙ with M_q = φ(Λ) ⊙ (u_q v_qᵀ):
 * the queries are never rotated with full matrix products nor rotated back (the default path costs
 * four products of [out × in] matrices per query and block), the training factors are rotated per
 * batch at B·(out² + in²), and the score is one GEMM V·[M_1; ...; M_Q]ᵀ per block and batch
 * ({@link BlockQueries.Eigenbasis}). Other blocks (convolutions, shared layers) take the default path:
 * φ(G) applied to the query's block gradient, dotted with the training gradients.
 */
final class EigenbasisScoring {
  private EigenbasisScoring() {}

  static double[][] pairwise(KroneckerCurvature c, List<SpectralFunction> phis, AttributionTask task, List<Tensor> params, ScoreOptions o) {
    GradientLayout layout = task.layout();
    int nb = layout.numBlocks(), q = task.numQueries();
    DType dt = params.get(0).dtype();
    Boolean[] rankOne = new Boolean[nb];
    // Per block: the query matrices (u_q, rotated, for rank-one blocks) and the rotated activations v_q.
    List<List<Tensor>> parts = new ArrayList<>(), vParts = new ArrayList<>();
    for (int b = 0; b < nb; b++) {
      parts.add(new ArrayList<>());
      vParts.add(new ArrayList<>());
    }
    Tensor[] phiMaps = new Tensor[nb];
    for (int b = 0; b < nb; b++) phiMaps[b] = c.layer(b).map(phis.get(b));
    for (int[] rows : Gradients.ranges(q, o.queryBatchSize())) {
      Batch batch = task.queries().batch(rows);
      CapturedPass.run(task.model(), layout, params, batch.x(), pass -> {
        List<Tensor> ds = pass.gradients(task.measurement().perExample(pass.output(), batch.y()).sum(), false);
        try (var s = GradMode.off()) {
          for (int b = 0; b < nb; b++) {
            boolean r1 = pass.isRankOne(b);
            if (rankOne[b] != null && rankOne[b] != r1) throw new IllegalStateException("block " + layout.block(b).name() + " changed structure between query batches");
            rankOne[b] = r1;
            KroneckerEigen e = c.layer(b);
            if (r1) {
              int call = pass.callsOf(b)[0];
              parts.get(b).add(pass.gradientRows(call, ds.get(call)).to(DType.F64).matmul(e.qS()));
              vParts.get(b).add(pass.activationRows(call).to(DType.F64).matmul(e.qA()));
            } else {
              parts.get(b).add(e.apply(phis.get(b), pass.blockGradient(b, ds)));
            }
          }
        }
        return null;
      });
    }
    BlockQueries[] blocks = new BlockQueries[nb];
    try (var s = GradMode.off()) {
      for (int b = 0; b < nb; b++) {
        Tensor m = concat(parts.get(b));
        blocks[b] = rankOne[b]
            ? new BlockQueries.Eigenbasis(c.layer(b).qS(), c.layer(b).qA(), OuterProductQueries.queries(m, concat(vParts.get(b)), phiMaps[b], dt))
            : new BlockQueries.Plain(m.to(dt).contiguous());
      }
    }
    double[][] out = new double[q][task.numTrain()];
    GradientDots.accumulate(task, params, blocks, o.trainBatchSize(), 1.0, out, null);
    return out;
  }

  private static Tensor concat(List<Tensor> parts) {
    return parts.size() == 1 ? parts.get(0) : Ops.concat(0, parts.toArray(new Tensor[0]));
  }
}
