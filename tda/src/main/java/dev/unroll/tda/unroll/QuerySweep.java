package dev.unroll.tda.unroll;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.Optimizer;
import dev.unroll.optim.Sgd;
import dev.unroll.optim.train.Snapshot;
import dev.unroll.optim.train.Trajectory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The sweep for any model, loss and optimizer: at every step the gradient graph of the step is
 * built once, and each query takes its own double-backward pass through it (see {@link ExactUnroll}).
 */
final class QuerySweep extends ReverseSweep {
  private final boolean genericVjp;

  /** @param genericVjp reverse mode through the optimizer's update graph even for SGD */
  QuerySweep(Trajectory tr, Dataset queries, Measurement f, int[] rows, double[][][] tau, double[][] norms, DType dt, boolean genericVjp) {
    super(tr, queries, f, rows, tau, norms, dt);
    this.genericVjp = genericVjp;
  }

  @Override
  void run() {
    int nq = rows.length;
    int t = rec.totalSteps();
    List<List<Tensor>> aTheta = finalAdjoints();
    for (int i = 0; i < nq; i++) trace(i, t, aTheta.get(i));
    List<List<Tensor>> aState = new ArrayList<>(nq);
    int stage = -1;
    List<String> stateKeys = List.of();
    Optimizer opt = null;
    for (int k = t - 1; k >= 0; k--) {
      int s = rec.stageOf(k);
      if (s != stage) {
        stage = s;
        opt = cfg.stage(s).optimizer().create();
        List<Tensor> params = converted(tr.at(k).parameterList());
        stateKeys = bufferKeys(opt, params);
        aState.clear();
        for (int i = 0; i < nq; i++) aState.add(zerosLike(stateKeys, opt, params, 0));
      }
      step(k, s, opt, stateKeys, aTheta, aState);
    }
  }

  private void step(int k, int s, Optimizer opt, List<String> stateKeys, List<List<Tensor>> aTheta, List<List<Tensor>> aState) {
    Snapshot snap = tr.at(k);
    List<Tensor> thetaK = converted(snap.parameterList());
    Map<String, Tensor> state = k == rec.stageStart(s) ? opt.initialState(names, thetaK) : converted(snap.optimizerState());
    int[] batchRows = rec.batch(k);
    Batch b = stageData.get(s).batch(batchRows);
    double[] wv = batchWeights(s, batchRows);

    // The gradient of step k as a graph in θ and w (built once, differentiated once per query).
    List<Tensor> theta = leaves(thetaK);
    Tensor w = Tensor.of(dt, wv, wv.length).requiresGrad(true);
    Tensor j = model.withParameters(theta, () -> loss.weightedMean(model.forward(b.x()), b.y(), w));
    List<Tensor> grad = Autograd.grad(List.of(j), null, theta, true, true, true);
    List<Tensor> thetaAndW = new ArrayList<>(theta);
    thetaAndW.add(w);
    UpdateVjp vjp = !genericVjp && opt instanceof Sgd sgd ? new SgdVjp(sgd, rec.lr(k)) : new GraphVjp(opt, names, thetaK, state, stateKeys, grad, rec.lr(k));
    int p = theta.size();

    for (int i = 0; i < rows.length; i++) {
      List<Tensor>[] adj = vjp.apply(aTheta.get(i), aState.get(i));
      Tensor dot = Derivatives.dot(grad, adj[2]);
      List<Tensor> second = Autograd.grad(List.of(dot), null, thetaAndW, false, true, true);
      List<Tensor> next = new ArrayList<>(p);
      try (var off = GradMode.off()) {
        for (int n = 0; n < p; n++) next.add(adj[0].get(n).add(second.get(n).detach()));
      }
      aTheta.set(i, next);
      aState.set(i, adj[1]);
      trace(i, k, next);
      accumulate(s, i, batchRows, wv, second.get(p).toDoubleArray(), 0);
    }
  }
}
