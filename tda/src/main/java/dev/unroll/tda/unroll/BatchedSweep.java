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
 * Q adjoints travel together as [Q, ...parameter shape] stacks; at each step one {@link MlpStepHvp}
 * (the primal pass, shared) gives every query's Hessian-vector product and per-example dots, query by
 * query right after SGD's adjoint has updated that query's slices. The same numbers as {@link QuerySweep} up to rounding.
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
      if (dw == null || dw.length != nq * batchRows.length) dw = new double[nq * batchRows.length];
      SgdVjp vjp = new SgdVjp(sgd, rec.lr(k));
      MlpStepHvp hvp = new MlpStepHvp(layers, thetaK, b.x(), b.y(), wv, loss);
      // Query by query, so that its slices stay in cache from the optimizer's adjoint to the
      // products: (a_θ, a_σ) ← (b_θ, b_σ) in place, b_g into bG; then a_θ += H_k·b_g, also in place.
      MlpStepHvp.Worker worker = hvp.worker();
      for (int q = 0; q < nq; q++) {
        vjp.applyInPlace(aTheta, aState, bG, q, nq);
        worker.accumulate(q, bG, aTheta, dw);
      }
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
