package dev.unroll.tda.unroll;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Module;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.ParameterVector;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.train.RunRecord;
import dev.unroll.optim.train.TrainResult;
import java.util.List;

/**
 * The reverse recursion of method.md §2 for plain SGD, written out with explicit Hessian matrices
 * (one HVP per column) and per-example gradients from single-example backward passes: an oracle
 * that shares no code with {@link ExactUnroll}'s VJP machinery. Always in float64: a float32 run's
 * recorded states are widened, so this is also the oracle of a float64 sweep over a float32 run.
 */
final class Textbook {
  private Textbook() {}

  static double[][] scores(TrainResult run, Dataset queries, Measurement f) {
    return scores(run, queries, f, null);
  }

  /** As {@link #scores(TrainResult, Dataset, Measurement)}; fills norms[q][k] = ‖v_k‖₂ when not null. */
  static double[][] scores(TrainResult run, Dataset queries0, Measurement f, double[][] norms) {
    RunRecord rec = run.record();
    Module model = run.config().model().build(DType.F64, new Rng(0));
    ParameterVector pv = ParameterVector.of(model);
    Dataset data = run.stageData().get(0).to(DType.F64), queries = queries0.to(DType.F64);
    int t = rec.totalSteps(), n = data.size(), p = pv.size();
    double[][] tau = new double[queries.size()][n];
    for (int q = 0; q < queries.size(); q++) {
      Batch qb = queries.batch(new int[] {q});
      double[] v = gradient(model, pv, run.snapshots().get(t).flatParameters(DType.F64), th -> f.perExample(model.forward(qb.x()), qb.y()).sum());
      if (norms != null) norms[q][t] = norm(v);
      for (int k = t - 1; k >= 0; k--) {
        double[] theta = run.snapshots().get(k).flatParameters(DType.F64).toDoubleArray();
        int[] rows = rec.batch(k);
        double eta = rec.lr(k);
        for (int i : rows) {
          Batch one = data.batch(new int[] {i});
          double[] g = gradient(model, pv, Tensor.of(theta.clone(), p), th -> new MseLoss().mean(model.forward(one.x()), one.y()));
          double dot = 0;
          for (int j = 0; j < p; j++) dot += v[j] * g[j];
          tau[q][i] += eta / rows.length * dot;
        }
        Batch b = data.batch(rows);
        double[][] h = Derivatives.hessian(th -> model.withParameters(pv.split(th), () -> new MseLoss().mean(model.forward(b.x()), b.y())), Tensor.of(theta.clone(), p));
        double[] next = new double[p];
        for (int r = 0; r < p; r++) {
          double hv = 0;
          for (int c = 0; c < p; c++) hv += h[r][c] * v[c];
          next[r] = v[r] - eta * hv;
        }
        v = next;
        if (norms != null) norms[q][k] = norm(v);
      }
    }
    return tau;
  }

  private static double norm(double[] v) {
    double s = 0;
    for (double x : v) s += x * x;
    return Math.sqrt(s);
  }

  private static double[] gradient(Module model, ParameterVector pv, Tensor theta, java.util.function.Function<Tensor, Tensor> body) {
    Tensor th = theta.detach().requiresGrad(true);
    Tensor out = model.withParameters(pv.split(th), () -> body.apply(th));
    return Autograd.grad(List.of(out), null, List.of(th), false, false, true).get(0).toDoubleArray();
  }
}
