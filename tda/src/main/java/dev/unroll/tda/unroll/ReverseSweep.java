package dev.unroll.tda.unroll;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Loss;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Module;
import dev.unroll.nn.Parameter;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.Optimizer;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.RunRecord;
import dev.unroll.optim.train.Trajectory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every reverse sweep of {@link ExactUnroll} shares: the run, the block of queries it scores
 * (rows of tau), the model and data in the sweep's precision, and the starting adjoints ∇f(z_q, θ_T).
 */
abstract class ReverseSweep {
  final Trajectory tr;
  final RunRecord rec;
  final RunConfig cfg;
  final Dataset queries;
  final Measurement f;
  final int[] rows;
  final double[][][] tau;
  final double[][] norms;
  final DType dt;
  final List<Dataset> stageData;
  final Module model;
  final List<String> names = new ArrayList<>();
  final Loss loss;

  ReverseSweep(Trajectory tr, Dataset queries, Measurement f, int[] rows, double[][][] tau, double[][] norms, DType dt) {
    this.tr = tr;
    this.rec = tr.record();
    this.cfg = rec.config();
    this.queries = queries;
    this.f = f;
    this.rows = rows;
    this.tau = tau;
    this.norms = norms;
    this.dt = dt;
    // A sweep in another precision than the run's gets its own model and data in that precision;
    // the recorded states are converted step by step (float32 → float64 is exact).
    this.model = dt == cfg.dataType() ? tr.newModel() : cfg.model().build(dt, new Rng(0));
    List<Dataset> sd = new ArrayList<>();
    for (Dataset d : tr.stageData()) sd.add(d.to(dt));
    this.stageData = sd;
    for (Parameter p : model.parameters()) names.add(p.name());
    this.loss = cfg.lossFunction();
  }

  /** Scores the block's queries, writing their rows of tau (and of norms when tracing). */
  abstract void run();

  /** a_θ at step T for each query of the block: ∇_θ f(z_q, θ_T), one list per query. */
  List<List<Tensor>> finalAdjoints() {
    int t = rec.totalSteps();
    List<Tensor> thetaT = leaves(converted(tr.at(t).parameterList()));
    List<List<Tensor>> out = new ArrayList<>(rows.length);
    for (int row : rows) {
      Batch b = queries.batch(new int[] {row});
      Tensor fq = model.withParameters(thetaT, () -> f.perExample(model.forward(b.x()), b.y()).sum());
      out.add(Autograd.grad(List.of(fq), null, thetaT, false, false, true));
    }
    return out;
  }

  /** The loss weights of step k's batch rows in stage s (1 unless the stage is weighted). */
  double[] batchWeights(int s, int[] batchRows) {
    double[] w0 = cfg.stage(s).weights();
    double[] wv = new double[batchRows.length];
    for (int j = 0; j < wv.length; j++) wv[j] = w0 == null ? 1 : w0[batchRows[j]];
    return wv;
  }

  /**
   * τ = −wⱼ·∂f/∂wⱼ for block query i: removal takes the weight from wⱼ (1 unless the run is weighted)
   * to 0; {@code dw[j]} is ∂f/∂wⱼ for batch row j, read from {@code dw} starting at {@code from}.
   */
  void accumulate(int s, int i, int[] batchRows, double[] wv, double[] dw, int from) {
    double[] row = tau[s][rows[i]];
    for (int j = 0; j < batchRows.length; j++) row[batchRows[j]] -= wv[j] * dw[from + j];
  }

  /** Records ‖a_θ‖₂ of block query i at step k when tracing. */
  void trace(int i, int k, List<Tensor> a) {
    if (norms == null) return;
    double ss = 0;
    for (Tensor x : a) for (double v : x.toDoubleArray()) ss += v * v;
    norms[rows[i]][k] = Math.sqrt(ss);
  }

  List<Tensor> converted(List<Tensor> ts) {
    if (ts.isEmpty() || ts.get(0).dtype() == dt) return ts;
    List<Tensor> out = new ArrayList<>(ts.size());
    for (Tensor x : ts) out.add(x.to(dt));
    return out;
  }

  Map<String, Tensor> converted(Map<String, Tensor> state) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (var e : state.entrySet()) out.put(e.getKey(), e.getValue().dtype() == dt ? e.getValue() : e.getValue().to(dt));
    return out;
  }

  static List<Tensor> leaves(List<Tensor> values) {
    List<Tensor> out = new ArrayList<>(values.size());
    for (Tensor v : values) out.add(v.detach().requiresGrad(true));
    return out;
  }

  static List<Tensor> detached(List<Tensor> ts) {
    List<Tensor> out = new ArrayList<>(ts.size());
    for (Tensor t : ts) out.add(t.detach());
    return out;
  }

  /** The optimizer's state buffers other than its step count, in its order. */
  List<String> bufferKeys(Optimizer opt, List<Tensor> params) {
    List<String> keys = new ArrayList<>();
    for (String key : opt.initialState(names, params).keySet()) if (!key.equals(Optimizer.STEP)) keys.add(key);
    return keys;
  }

  /** Zeros shaped like the buffers {@code keys}, each with {@code lead} prepended to its shape when lead &gt; 0. */
  List<Tensor> zerosLike(List<String> keys, Optimizer opt, List<Tensor> params, int lead) {
    Map<String, Tensor> init = opt.initialState(names, params);
    List<Tensor> out = new ArrayList<>();
    for (String key : keys) {
      int[] sh = init.get(key).shape();
      if (lead > 0) {
        int[] s2 = new int[sh.length + 1];
        s2[0] = lead;
        System.arraycopy(sh, 0, s2, 1, sh.length);
        sh = s2;
      }
      out.add(Tensor.zeros(init.get(key).dtype(), sh));
    }
    return out;
  }
}
