package dev.unroll.tda.unroll;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Loss;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Module;
import dev.unroll.nn.Parameter;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.Optimizer;
import dev.unroll.optim.Sgd;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.KernelThreads;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.RunRecord;
import dev.unroll.optim.train.Snapshot;
import dev.unroll.optim.train.Trajectory;
import dev.unroll.tda.Scores;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Exact unrolled differentiation of a recorded run (SGD-influence, method.md §2): the first-order
 * effect on f(z_q, θ_T) of removing each training example, differentiated through every recorded
 * step, the optimizer's full state included.
 *
 * <p><b>What is computed.</b> Give example i of stage s the loss weight wᵢ in that stage, so that
 * step k of the stage minimises J_k(θ, w) = (1/B)·Σ_{j∈I_k} w_j·L(z_j, θ) with B = |I_k|, and the
 * optimizer maps (θ_k, σ_k, ∇_θJ_k(θ_k, w), η_k) ↦ (θ_{k+1}, σ_{k+1}) (σ: momentum, Adam moments).
 * Removing the example is wᵢ: 1 → 0, so its score is
 * <pre>  τ(z_q, z_i) = −∂f(z_q, θ_T)/∂wᵢ,</pre>
 * positive when removing z_i would increase f (the project's convention). For a run trained with
 * weights w it is −wᵢ·∂f/∂wᵢ at w (the first-order effect of wᵢ → 0; an example of weight 0
 * scores 0). No 1/N factor appears: τ is the predicted change of f itself. For plain SGD this is Σ_k (η_k/B)·δ_k(i)·⟨v_{k+1}, ∇L(z_i, θ_k)⟩
 * with v_T = ∇f(θ_T) and v_k = (I − η_k H_k)·v_{k+1}, method.md §2.
 *
 * <p><b>How.</b> One reverse sweep k = T − 1 … 0 per block of queries, with adjoints
 * (a_θ, a_σ) = (∂f/∂θ_{k+1}, ∂f/∂σ_{k+1}), starting from (∇f(z_q, θ_T), 0). At step k, with θ_k and
 * σ_k from the trajectory (replayed from checkpoints):
 * <ol>
 *   <li>the vector-Jacobian product of the optimizer's functional update
 *       {@link Optimizer#update} gives (b_θ, b_σ, b_g), the adjoints of its inputs θ_k, σ_k and
 *       the gradient g_k;</li>
 *   <li>g_k = ∇_θJ_k depends on θ_k and on w: one double-backward pass of ⟨∇_θJ_k, b_g⟩ with
 *       respect to (θ, w) gives the Hessian-vector product H_k·b_g and, at the same time,
 *       ∂⟨∇_θJ_k, b_g⟩/∂w_j = (1/B)·⟨∇L(z_j, θ_k), b_g⟩ for every example j of the batch;</li>
 *   <li>a_θ ← b_θ + H_k·b_g, a_σ ← b_σ, and τ_q(z_j) −= (1/B)·⟨∇L(z_j, θ_k), b_g⟩.</li>
 * </ol>
 * The gradient graph of step k is built once and shared by all queries of the block. At a stage
 * boundary the next stage's optimizer starts from a fixed initial state, so a_σ restarts at 0.
 * Momentum, weight decay, Nesterov, Adam/AdamW and any learning-rate schedule are handled by the
 * same generic VJP (Adam's √v has an infinite derivative where v = 0; runs where a coordinate's
 * gradient is exactly 0 at the first step give non-finite scores there).
 *
 * <p><b>Range of validity.</b> τ is the derivative at w = 1. With ReLU (or any activation whose
 * derivative jumps) a step's update is a discontinuous function of θ: when an example's
 * pre-activation crosses 0 its weight gradient jumps. θ_T(w) is then piecewise smooth with jumps,
 * and τ is the exact slope of the piece that contains w = 1; removing an example (wᵢ = 0) may cross
 * many jumps. On the Concrete recipe (ReLU, lr 0.03, momentum 0.9, 560 steps) central differences
 * agree with τ to 1e-8 for ε ≤ 1e-5 while the first jump comes at ε ≈ 1e-5 to 1e-3, after which θ_T
 * moves by about as much as a change of seed; with GELU the same run stays linear up to removal.
 *
 * <p>Scores are per stage: columns are the examples of that stage's data (its {@code DataSpec}
 * positions); an example absent from a stage scores 0 there. When every stage trains on the same
 * data, {@link Result#combined()} sums them (removing the example from the whole run).
 */
public final class ExactUnroll {
  private ExactUnroll() {}

  /**
   * @param queryBlock queries per reverse sweep (their adjoints live in memory together: each holds
   *     about (1 + optimizer buffers) × P numbers)
   * @param threads sweeps run in parallel, one per thread with single-threaded kernels
   * @param sweepType the precision of the reverse sweep (adjoints, Hessian-vector products, per-example
   *     gradient dots); null: the run's own dtype. FLOAT64 on a float32 run differentiates the same
   *     recorded float32 states θ_k (widened exactly) with float64 arithmetic.
   * @param traceAdjoints also return ‖a_θ‖ = ‖∂f/∂θ_k‖ for every query and step ({@link Result#adjointNorms()})
   */
  public record Options(int queryBlock, int threads, DType sweepType, boolean traceAdjoints) {
    public Options {
      if (queryBlock < 1 || threads < 1) throw new IllegalArgumentException("queryBlock and threads must be ≥ 1, got " + queryBlock + ", " + threads);
    }

    /** Sweeps in the run's dtype, no trace. */
    public Options(int queryBlock, int threads) {
      this(queryBlock, threads, null, false);
    }

    /** All queries in one block on one thread. */
    public static Options defaults() {
      return new Options(Integer.MAX_VALUE, 1);
    }

    public Options withSweepType(DType t) {
      return new Options(queryBlock, threads, t, traceAdjoints);
    }

    public Options withAdjointTrace() {
      return new Options(queryBlock, threads, sweepType, true);
    }
  }

  /**
   * Scores per stage of the run, with the data spec each stage trained on, and when traced
   * ({@link Options#traceAdjoints()}) adjointNorms[q][k] = ‖∂f(z_q, θ_T)/∂θ_k‖₂ for k = 0 … T (the
   * parameter adjoint at step k with the optimizer state σ_k held fixed; null otherwise).
   */
  public record Result(List<Scores> stages, List<DataSpec> data, double[][] adjointNorms) {
    public Scores stage(int s) {
      return stages.get(s);
    }

    /**
     * The effect of removing each example from every stage: the sum of the stages' scores; only
     * when all stages train on the same data spec.
     */
    public Scores combined() {
      Scores first = stages.get(0);
      double[][] sum = new double[first.queries()][first.examples()];
      for (int st = 0; st < stages.size(); st++) {
        if (!data.get(st).equals(data.get(0))) {
          throw new IllegalStateException("stages train on different data (" + data.get(0) + " and " + data.get(st) + "): use the per-stage scores");
        }
        Scores s = stages.get(st);
        for (int q = 0; q < sum.length; q++) for (int m = 0; m < sum[q].length; m++) sum[q][m] += s.values()[q][m];
      }
      Map<String, String> settings = new LinkedHashMap<>(first.settings());
      settings.put("stage", "all");
      return new Scores(first.method(), sum, settings);
    }
  }

  /**
   * Scores of every training example of every stage for each query (row q of {@code queries},
   * measured by {@code f} at θ_T).
   */
  public static Result scores(Trajectory trajectory, Dataset queries, Measurement f, Options options) {
    return scores(trajectory, queries, f, options, false);
  }

  /** {@link #scores} with the SGD closed-form adjoint switched off when {@code genericVjp} (for tests of that shortcut). */
  static Result scores(Trajectory trajectory, Dataset queries, Measurement f, Options options, boolean genericVjp) {
    RunRecord rec = trajectory.record();
    if (!rec.isComplete()) throw new IllegalArgumentException("the run completed " + rec.stepsCompleted() + " of " + rec.totalSteps() + " steps; unrolling needs a finished run");
    RunConfig cfg = rec.config();
    DType sweepType = options.sweepType() == null ? cfg.dataType() : options.sweepType();
    Dataset q = queries.to(sweepType);
    int nq = q.size();
    double[][] norms = options.traceAdjoints() ? new double[nq][rec.totalSteps() + 1] : null;
    int block = Math.max(1, Math.min(options.queryBlock(), (nq + options.threads() - 1) / options.threads()));
    List<int[]> blocks = new ArrayList<>();
    for (int from = 0; from < nq; from += block) {
      int[] rows = new int[Math.min(block, nq - from)];
      for (int i = 0; i < rows.length; i++) rows[i] = from + i;
      blocks.add(rows);
    }
    double[][][] tau = new double[rec.numStages()][nq][];
    for (int s = 0; s < rec.numStages(); s++) for (int i = 0; i < nq; i++) tau[s][i] = new double[rec.dataSize(s)];
    if (options.threads() == 1 || blocks.size() == 1) {
      for (int[] rows : blocks) new Sweep(trajectory, q, f, rows, tau, norms, sweepType, genericVjp).run();
    } else {
      Backend cpu = Backends.cpu();
      ExecutorService pool = Executors.newFixedThreadPool(Math.min(options.threads(), blocks.size()), r -> {
        Thread t = new Thread(r, "unroll-sweep");
        t.setDaemon(true);
        return t;
      });
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (int[] rows : blocks) {
          Trajectory own = trajectory.fork();
          fs.add(pool.submit(() -> KernelThreads.single(() -> Backends.withCpu(cpu, () -> {
            new Sweep(own, q, f, rows, tau, norms, sweepType, genericVjp).run();
            return null;
          }))));
        }
        for (Future<?> fu : fs) fu.get();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      } finally {
        pool.shutdownNow();
      }
    }
    List<Scores> out = new ArrayList<>();
    List<DataSpec> specs = new ArrayList<>();
    for (int s = 0; s < rec.numStages(); s++) {
      specs.add(cfg.stage(s).data());
      Map<String, String> settings = new LinkedHashMap<>();
      settings.put("run", cfg.fingerprint());
      settings.put("stage", cfg.stage(s).name());
      settings.put("data", cfg.stage(s).data().toString());
      settings.put("queries", queries.name() + " (" + nq + ")");
      settings.put("measurement", f.toString());
      settings.put("steps", Integer.toString(rec.totalSteps()));
      settings.put("sweep dtype", sweepType.toString());
      settings.put("sign", "positive: removing the example increases f");
      settings.put("units", "first-order change of f(theta_T) on removal; no 1/N factor");
      // The values are already predicted changes of f.
      settings.put(Scores.EFFECT_SCALE, "1");
      out.add(Scores.pairwise("exact-unroll", tau[s], settings));
    }
    return new Result(List.copyOf(out), List.copyOf(specs), norms);
  }

  /** One reverse sweep for a block of queries, writing rows of tau. */
  private static final class Sweep {
    private final Trajectory tr;
    private final RunRecord rec;
    private final RunConfig cfg;
    private final Dataset queries;
    private final Measurement f;
    private final int[] rows;
    private final double[][][] tau;
    private final double[][] norms;
    private final DType dt;
    private final List<Dataset> stageData;
    private final Module model;
    private final List<String> names = new ArrayList<>();
    private final Loss loss;
    private final boolean genericVjp;

    Sweep(Trajectory tr, Dataset queries, Measurement f, int[] rows, double[][][] tau, double[][] norms, DType dt, boolean genericVjp) {
      this.genericVjp = genericVjp;
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

    void run() {
      int nq = rows.length;
      int t = rec.totalSteps();
      List<List<Tensor>> aTheta = new ArrayList<>(nq);
      List<List<Tensor>> aState = new ArrayList<>(nq);
      List<Tensor> thetaT = leaves(converted(tr.at(t).parameterList()));
      for (int i = 0; i < nq; i++) {
        Batch b = queries.batch(new int[] {rows[i]});
        Tensor fq = model.withParameters(thetaT, () -> f.perExample(model.forward(b.x()), b.y()).sum());
        aTheta.add(Autograd.grad(List.of(fq), null, thetaT, false, false, true));
        trace(i, t, aTheta.get(i));
      }
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
          for (int i = 0; i < nq; i++) aState.add(zerosLike(stateKeys, opt, params));
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
      double[] w0 = cfg.stage(s).weights();
      double[] wv = new double[batchRows.length];
      for (int j = 0; j < wv.length; j++) wv[j] = w0 == null ? 1 : w0[batchRows[j]];

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
        // τ = −wᵢ·∂f/∂wᵢ: removal takes the weight from wᵢ (1 unless the run is weighted) to 0.
        double[] dw = second.get(p).toDoubleArray();
        double[] row = tau[s][rows[i]];
        for (int jj = 0; jj < batchRows.length; jj++) row[batchRows[jj]] -= wv[jj] * dw[jj];
      }
    }

    /** Records ‖a_θ‖₂ of block query i at step k when tracing. */
    private void trace(int i, int k, List<Tensor> a) {
      if (norms == null) return;
      double ss = 0;
      for (Tensor x : a) for (double v : x.toDoubleArray()) ss += v * v;
      norms[rows[i]][k] = Math.sqrt(ss);
    }

    private List<Tensor> converted(List<Tensor> ts) {
      if (ts.isEmpty() || ts.get(0).dtype() == dt) return ts;
      List<Tensor> out = new ArrayList<>(ts.size());
      for (Tensor x : ts) out.add(x.to(dt));
      return out;
    }

    private Map<String, Tensor> converted(Map<String, Tensor> state) {
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (var e : state.entrySet()) out.put(e.getKey(), e.getValue().dtype() == dt ? e.getValue() : e.getValue().to(dt));
      return out;
    }

    private static List<Tensor> leaves(List<Tensor> values) {
      List<Tensor> out = new ArrayList<>(values.size());
      for (Tensor v : values) out.add(v.detach().requiresGrad(true));
      return out;
    }

    private static List<Tensor> detached(List<Tensor> ts) {
      List<Tensor> out = new ArrayList<>(ts.size());
      for (Tensor t : ts) out.add(t.detach());
      return out;
    }

    private List<String> bufferKeys(Optimizer opt, List<Tensor> params) {
      List<String> keys = new ArrayList<>();
      for (String key : opt.initialState(names, params).keySet()) if (!key.equals(Optimizer.STEP)) keys.add(key);
      return keys;
    }

    private List<Tensor> zerosLike(List<String> keys, Optimizer opt, List<Tensor> params) {
      Map<String, Tensor> init = opt.initialState(names, params);
      List<Tensor> out = new ArrayList<>();
      for (String key : keys) out.add(Tensor.zeros(init.get(key).dtype(), init.get(key).shape()));
      return out;
    }
  }

  /**
   * The adjoint of one optimizer update (θ', σ') = U(θ, σ, g): given (a_θ', a_σ') it returns
   * (a_θ'ᵀ∂θ'/∂θ + a_σ'ᵀ∂σ'/∂θ, … ∂/∂σ, … ∂/∂g) as detached tensors shaped like θ, σ and g.
   */
  private interface UpdateVjp {
    List<Tensor>[] apply(List<Tensor> aTheta, List<Tensor> aSigma);
  }

  /** Any optimizer: reverse mode through the graph of its functional {@link Optimizer#update}, built once per step. */
  private static final class GraphVjp implements UpdateVjp {
    private final List<Tensor> outs = new ArrayList<>(), ins = new ArrayList<>();
    private final int p, ns;

    GraphVjp(Optimizer opt, List<String> names, List<Tensor> theta, Map<String, Tensor> state, List<String> stateKeys, List<Tensor> grad, double lr) {
      List<Tensor> uTheta = Sweep.leaves(theta);
      List<Tensor> uG = new ArrayList<>();
      for (Tensor g : grad) uG.add(g.detach().requiresGrad(true));
      Map<String, Tensor> uState = new LinkedHashMap<>(state);
      List<Tensor> uSigma = new ArrayList<>();
      for (String key : stateKeys) {
        Tensor leaf = state.get(key).detach().requiresGrad(true);
        uState.put(key, leaf);
        uSigma.add(leaf);
      }
      Optimizer.Update u = opt.update(names, uTheta, uState, uG, lr);
      outs.addAll(u.params());
      for (String key : stateKeys) outs.add(u.state().get(key));
      ins.addAll(uTheta);
      ins.addAll(uSigma);
      ins.addAll(uG);
      p = uTheta.size();
      ns = uSigma.size();
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<Tensor>[] apply(List<Tensor> aTheta, List<Tensor> aSigma) {
      List<Tensor> seeds = new ArrayList<>(aTheta);
      seeds.addAll(aSigma);
      List<Tensor> adj = Sweep.detached(Autograd.grad(outs, seeds, ins, false, true, true));
      return new List[] {adj.subList(0, p), adj.subList(p, p + ns), adj.subList(p + ns, p + ns + p)};
    }
  }

  /**
   * SGD's update in closed form ({@link Sgd}: d = g + λθ, v' = μv + d, θ' = θ − η·v' for heavy
   * ball or θ − η·(d + μv') for Nesterov, θ' = θ − η·d without momentum). Its adjoint, with
   * ā_v = a_v' − η·a_θ' (heavy ball) or a_v' − ημ·a_θ' (Nesterov):
   * ā_d = ā_v (heavy ball), ā_v − η·a_θ' (Nesterov), −η·a_θ' (no momentum); then b_g = ā_d,
   * b_v = μ·ā_v, b_θ = a_θ' + λ·ā_d. The same numbers as {@link GraphVjp} up to rounding, without
   * building and walking a graph per query.
   */
  private static final class SgdVjp implements UpdateVjp {
    private final double mu, wd, lr;
    private final boolean nesterov;

    SgdVjp(Sgd sgd, double lr) {
      this.mu = sgd.momentum();
      this.wd = sgd.weightDecay();
      this.nesterov = sgd.nesterov();
      this.lr = lr;
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<Tensor>[] apply(List<Tensor> aTheta, List<Tensor> aSigma) {
      int p = aTheta.size();
      List<Tensor> bTheta = new ArrayList<>(p), bSigma = new ArrayList<>(aSigma.size()), bG = new ArrayList<>(p);
      try (var off = GradMode.off()) {
        for (int i = 0; i < p; i++) {
          Tensor at = aTheta.get(i);
          if (fused(at, mu == 0 ? null : aSigma.get(i), bTheta, bSigma, bG)) continue;
          Tensor ad;
          if (mu == 0) {
            ad = at.mul(-lr);
          } else {
            Tensor av = aSigma.get(i).sub(at.mul(nesterov ? lr * mu : lr));
            ad = nesterov ? av.sub(at.mul(lr)) : av;
            bSigma.add(av.mul(mu));
          }
          bG.add(ad);
          bTheta.add(wd == 0 ? at : at.add(ad.mul(wd)));
        }
      }
      return new List[] {bTheta, bSigma, bG};
    }

    /** The values without a copy where the tensor owns its storage (the adjoints this sweep makes do). */
    private static double[] doubles(Tensor t) {
      try {
        return t.doubleStorage();
      } catch (IllegalStateException e) {
        return t.toDoubleArray();
      }
    }

    private static float[] floats(Tensor t) {
      try {
        return t.floatStorage();
      } catch (IllegalStateException e) {
        return t.toFloatArray();
      }
    }

    /**
     * The same arithmetic as the tensor expressions of {@link #apply}, in the same order and the
     * tensors' precision (scalars rounded to it as the tensor ops round them), in one pass over
     * a_θ and a_σ instead of five (a profile of Concrete's exact unrolling spent 22% of its time in
     * those passes). Only for contiguous CPU tensors of one shape and dtype; false leaves the others to the ops.
     */
    private boolean fused(Tensor at, Tensor as, List<Tensor> bTheta, List<Tensor> bSigma, List<Tensor> bG) {
      if (!at.backend().isCpu() || !at.isContiguous() || (as != null && (!as.backend().isCpu() || as.dtype() != at.dtype() || !java.util.Arrays.equals(as.shape(), at.shape())))) return false;
      int[] shape = at.shape();
      double c1 = nesterov ? lr * mu : lr;
      if (at.dtype() == DType.F64) {
        double[] a = doubles(at), sg = as == null ? null : doubles(as);
        int n = a.length;
        double[] bt = wd == 0 ? null : new double[n], bs = as == null ? null : new double[n], bg = new double[n];
        for (int j = 0; j < n; j++) {
          double x = a[j], ad;
          if (as == null) {
            ad = x * -lr;
          } else {
            double av = sg[j] - x * c1;
            ad = nesterov ? av - x * lr : av;
            bs[j] = av * mu;
          }
          bg[j] = ad;
          if (bt != null) bt[j] = x + ad * wd;
        }
        bG.add(Tensor.of(bg, shape));
        if (bs != null) bSigma.add(Tensor.of(bs, shape));
        bTheta.add(bt == null ? at : Tensor.of(bt, shape));
        return true;
      }
      float[] a = floats(at), sg = as == null ? null : floats(as);
      float fl = (float) lr, fnl = (float) -lr, fc1 = (float) c1, fmu = (float) mu, fwd = (float) wd;
      int n = a.length;
      float[] bt = wd == 0 ? null : new float[n], bs = as == null ? null : new float[n], bg = new float[n];
      for (int j = 0; j < n; j++) {
        float x = a[j], ad;
        if (as == null) {
          ad = x * fnl;
        } else {
          float av = sg[j] - x * fc1;
          ad = nesterov ? av - x * fl : av;
          bs[j] = av * fmu;
        }
        bg[j] = ad;
        if (bt != null) bt[j] = x + ad * fwd;
      }
      bG.add(Tensor.of(bg, shape));
      if (bs != null) bSigma.add(Tensor.of(bs, shape));
      bTheta.add(bt == null ? at : Tensor.of(bt, shape));
      return true;
    }
  }
}
