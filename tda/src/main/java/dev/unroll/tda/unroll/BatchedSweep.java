package dev.unroll.tda.unroll;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.Optimizer;
import dev.unroll.optim.Sgd;
import dev.unroll.optim.train.Trajectory;
import java.util.ArrayList;
import java.util.List;

/**
 * The sweep for an MLP trained by SGD (momentum, Nesterov, weight decay, any schedule): the block's
 * Q adjoints travel together as [Q, ...parameter shape] stacks, SGD's adjoint is one elementwise
 * pass over all of them, and each step's Hessian-vector products and per-example dots for all Q
 * come from one {@link MlpStepHvp}. The same numbers as {@link QuerySweep} up to rounding.
 */
final class BatchedSweep extends ReverseSweep {
  private final MlpStepHvp.Layers layers;

  BatchedSweep(Trajectory tr, Dataset queries, Measurement f, int[] rows, double[][][] tau, double[][] norms, DType dt, MlpStepHvp.Layers layers) {
    super(tr, queries, f, rows, tau, norms, dt);
    this.layers = layers;
  }

  /** Whether every stage of the run trains with SGD, which {@link SgdVjp} inverts in closed form. */
  static boolean sgdOnly(dev.unroll.optim.train.RunConfig cfg) {
    for (int s = 0; s < cfg.numStages(); s++) if (!(cfg.stage(s).optimizer().create() instanceof Sgd)) return false;
    return true;
  }

  @Override
  void run() {
    int nq = rows.length;
    int t = rec.totalSteps();
    List<Tensor> aTheta = stack(finalAdjoints());
    trace(t, aTheta);
    List<Tensor> bG = new ArrayList<>(aTheta.size());
    for (Tensor a : aTheta) bG.add(Tensor.zeros(a.dtype(), a.shape()));
    List<Tensor> aState = List.of();
    int stage = -1;
    Sgd sgd = null;
    double[] dw = null;
    for (int k = t - 1; k >= 0; k--) {
      int s = rec.stageOf(k);
      List<Tensor> thetaK = converted(tr.at(k).parameterList());
      if (s != stage) {
        stage = s;
        Optimizer opt = cfg.stage(s).optimizer().create();
        sgd = (Sgd) opt;
        aState = zerosLike(bufferKeys(opt, thetaK), opt, thetaK, nq);
      }
      int[] batchRows = rec.batch(k);
      Batch b = stageData.get(s).batch(batchRows);
      double[] wv = batchWeights(s, batchRows);
      // (a_θ, a_σ) ← (b_θ, b_σ) in place, b_g into bG; then a_θ += H_k·b_g, also in place.
      new SgdVjp(sgd, rec.lr(k)).applyInPlace(aTheta, aState, bG);
      if (dw == null || dw.length != nq * batchRows.length) dw = new double[nq * batchRows.length];
      new MlpStepHvp(layers, thetaK, b.x(), b.y(), wv, loss).accumulate(bG, aTheta, dw);
      trace(k, aTheta);
      for (int i = 0; i < nq; i++) accumulate(s, i, batchRows, wv, dw, i * batchRows.length);
    }
  }

  /** Per parameter, the queries' tensors stacked along a new leading axis (contiguous, owning their storage). */
  private List<Tensor> stack(List<List<Tensor>> perQuery) {
    List<Tensor> out = new ArrayList<>();
    try (var off = GradMode.off()) {
      for (int n = 0; n < perQuery.get(0).size(); n++) {
        Tensor[] rowsOfN = new Tensor[perQuery.size()];
        for (int q = 0; q < rowsOfN.length; q++) {
          Tensor g = perQuery.get(q).get(n).detach();
          int[] sh = new int[g.rank() + 1];
          sh[0] = 1;
          System.arraycopy(g.shape(), 0, sh, 1, g.rank());
          rowsOfN[q] = g.reshape(sh);
        }
        out.add(Ops.concat(0, rowsOfN).to(dt).owning());
      }
    }
    return out;
  }

  /** ‖a_θ‖₂ of every block query at step k, from the stacks, when tracing. */
  private void trace(int k, List<Tensor> stacked) {
    if (norms == null) return;
    int nq = rows.length;
    double[] ss = new double[nq];
    for (Tensor x : stacked) {
      double[] v = x.toDoubleArray();
      int size = v.length / nq;
      for (int q = 0; q < nq; q++) for (int j = q * size; j < (q + 1) * size; j++) ss[q] += v[j] * v[j];
    }
    for (int q = 0; q < nq; q++) norms[rows[q]][k] = Math.sqrt(ss[q]);
  }
}
