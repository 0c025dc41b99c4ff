package dev.unroll.tda.unroll;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.DType;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Module;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.Optimizer;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.KernelThreads;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.RunRecord;
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
 * The gradient graph of step k is built once and shared by all queries of the block
 * ({@link QuerySweep}); for an MLP trained by SGD the block's adjoints instead travel as stacked
 * [Q, ...] tensors and step 2 is an R-operator pass per query on the step's shared primal pass ({@link BatchedSweep},
 * {@link MlpStepHvp}: the same numbers up to rounding, 2 to 2.4 times as fast on Concrete and FashionMNIST-N). At a stage
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
   *     about (1 + optimizer buffers) × P numbers); 0: sized automatically ({@link #automatic})
   * @param threads sweeps run in parallel, one per thread with single-threaded kernels
   * @param sweepType the precision of the reverse sweep (adjoints, Hessian-vector products, per-example
   *     gradient dots); null: the run's own dtype. FLOAT64 on a float32 run differentiates the same
   *     recorded float32 states θ_k (widened exactly) with float64 arithmetic.
   * @param traceAdjoints also return ‖a_θ‖ = ‖∂f/∂θ_k‖ for every query and step ({@link Result#adjointNorms()})
   */
  public record Options(int queryBlock, int threads, DType sweepType, boolean traceAdjoints) {
    public Options {
      if (queryBlock < 0 || threads < 1) throw new IllegalArgumentException("queryBlock must be ≥ 0 (0: automatic) and threads ≥ 1, got " + queryBlock + ", " + threads);
    }

    /**
     * Queries split evenly among {@code threads} sweeps, each block as large as
     * {@link #automaticBlockBytes} of adjoints allows (queryBlock 0). Larger blocks replay the
     * trajectory and the steps' primal passes fewer times.
     */
    public static Options automatic(int threads) {
      return new Options(0, threads, null, false);
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
    return scores(trajectory, queries, f, options, Route.BEST);
  }

  /**
   * Training examples asking about themselves per call of {@link #scores} in {@link #selfInfluence}:
   * only a [chunk × N] block of pairwise scores per stage is held at a time.
   */
  static final int SELF_CHUNK = 1024;

  /**
   * Self-influence of every training example: with the measurement f = L(z_m, ·), its own training
   * loss at θ_T,
   * <pre>  τ(z_m, z_m) = −∂L(z_m, θ_T)/∂w_m,</pre>
   * w_m being z_m's loss weight in every stage (its removal from the whole run): the diagonal of
   * {@link Result#combined()} with the training set as queries. That is one reverse sweep per
   * training example, N sweeps where pairwise scores take Q; the examples are taken
   * {@value #SELF_CHUNK} at a time.
   *
   * @throws IllegalArgumentException when the stages train on different data (an example's
   *     removal from the run is then not one column)
   */
  public static Scores selfInfluence(Trajectory trajectory, Options options) {
    return selfInfluence(trajectory, options, SELF_CHUNK);
  }

  /** {@link #selfInfluence(Trajectory, Options)} with {@code chunk} examples per call of {@link #scores}. */
  static Scores selfInfluence(Trajectory trajectory, Options options, int chunk) {
    if (chunk < 1) throw new IllegalArgumentException("chunk must be ≥ 1, got " + chunk);
    RunConfig cfg = trajectory.record().config();
    for (int s = 1; s < cfg.numStages(); s++) {
      if (!cfg.stage(s).data().equals(cfg.stage(0).data())) {
        throw new IllegalArgumentException("self-influence needs every stage to train on the same data: stage " + cfg.stage(0).name() + " trains on "
            + cfg.stage(0).data() + ", stage " + cfg.stage(s).name() + " on " + cfg.stage(s).data());
      }
    }
    Dataset train = trajectory.stageData().get(0);
    Measurement f = Measurement.loss(cfg.lossFunction());
    int n = train.size();
    double[] self = new double[n];
    Map<String, String> settings = Map.of();
    for (int from = 0; from < n; from += chunk) {
      int[] rows = new int[Math.min(chunk, n - from)];
      for (int i = 0; i < rows.length; i++) rows[i] = from + i;
      Scores part = scores(trajectory, train.subset(rows), f, options).combined();
      for (int i = 0; i < rows.length; i++) self[rows[i]] = part.get(i, rows[i]);
      settings = part.settings();
    }
    Map<String, String> s = new LinkedHashMap<>(settings);
    s.put("queries", "the training set itself (" + n + ")");
    return Scores.selfInfluence("exact-unroll", self, s);
  }

  /**
   * How a sweep differentiates each step. BEST: {@link BatchedSweep} where the model is an MLP
   * trained by SGD on the CPU ({@link MlpStepHvp#layers}), else PER_QUERY. PER_QUERY: a
   * double-backward pass per query through the step's gradient graph, SGD's adjoint in closed form
   * ({@link SgdVjp}). GRAPH: the same with every optimizer's adjoint by reverse mode through its update.
   * The three give the same numbers up to rounding; the slower ones stay as oracles for the faster.
   */
  enum Route { BEST, PER_QUERY, GRAPH }

  /** {@link #scores} along a given {@link Route} (for tests of the faster routes against the slower). */
  static Result scores(Trajectory trajectory, Dataset queries, Measurement f, Options options, Route route) {
    RunRecord rec = trajectory.record();
    if (!rec.isComplete()) throw new IllegalArgumentException("the run completed " + rec.stepsCompleted() + " of " + rec.totalSteps() + " steps; unrolling needs a finished run");
    RunConfig cfg = rec.config();
    DType sweepType = options.sweepType() == null ? cfg.dataType() : options.sweepType();
    Dataset q = queries.to(sweepType);
    int nq = q.size();
    double[][] norms = options.traceAdjoints() ? new double[nq][rec.totalSteps() + 1] : null;
    // The route and the block size are decided once, on a model built for that purpose.
    Module probe = trajectory.newModel();
    MlpStepHvp.Layers batched = route == Route.BEST ? batchedLayers(probe, trajectory) : null;
    boolean generic = route == Route.GRAPH;
    int perThread = (nq + options.threads() - 1) / options.threads();
    int block = Math.max(1, Math.min(options.queryBlock() > 0 ? options.queryBlock() : automaticBlock(probe, sweepType, options.threads()), perThread));
    if (options.queryBlock() == 0) {
      // As many blocks as a multiple of the threads, evenly filled: no thread waits on a last short round.
      int count = (nq + block - 1) / block;
      count = (count + options.threads() - 1) / options.threads() * options.threads();
      block = Math.max(1, (nq + count - 1) / count);
    }
    List<int[]> blocks = new ArrayList<>();
    for (int from = 0; from < nq; from += block) {
      int[] rows = new int[Math.min(block, nq - from)];
      for (int i = 0; i < rows.length; i++) rows[i] = from + i;
      blocks.add(rows);
    }
    double[][][] tau = new double[rec.numStages()][nq][];
    for (int s = 0; s < rec.numStages(); s++) for (int i = 0; i < nq; i++) tau[s][i] = new double[rec.dataSize(s)];
    if (options.threads() == 1 || blocks.size() == 1) {
      for (int[] rows : blocks) sweep(batched, generic, trajectory, q, f, rows, tau, norms, sweepType).run();
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
            sweep(batched, generic, own, q, f, rows, tau, norms, sweepType).run();
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

  /**
   * Adjoint memory of one automatic block ({@link Options#automatic}) at least: its [Q, P] stacks
   * and a product's worth more. With a larger heap a block may take a sixth of it divided among the
   * threads ({@link #automaticBlockBytes}).
   */
  static final long AUTO_BLOCK_BYTES = 192L << 20;

  /**
   * The adjoint memory of one of {@code threads} concurrent blocks: {@link #AUTO_BLOCK_BYTES}, or a
   * sixth of the heap shared among the threads where that is more. Each block replays the trajectory
   * and runs every step's primal pass once, so fewer, larger blocks do less of both: on
   * FashionMNIST-N (100 queries, 2 threads, the default heap of a 23 GB machine) one block of 50 per
   * thread took 48.2 / 43.7 s where three of 17 took 58.2 / 54.5 s, alternated ({@code ./unroll score --run
   * runs/fashion-mnist-n-quick/run --method unroll --data ../shared/data} without and with
   * {@code --query-block 17}). A sixth leaves under a 2 GiB heap the 192 MB that ran there, beside each
   * sweep's replay cache.
   */
  static long automaticBlockBytes(int threads, long maxHeap) {
    return Math.max(AUTO_BLOCK_BYTES, maxHeap / 6 / Math.max(1, threads));
  }

  /** The queries whose a_θ, a_σ, b_g and one more [P] vector in the sweep's dtype fit in {@link #automaticBlockBytes}. */
  private static int automaticBlock(Module model, DType dt, int threads) {
    long p = 0;
    for (var param : model.parameters()) p += param.value().numel();
    long perQuery = Math.max(1, p * (dt == DType.F64 ? 8 : 4) * 4);
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, automaticBlockBytes(threads, Runtime.getRuntime().maxMemory()) / perQuery));
  }

  /**
   * The layers {@link BatchedSweep} differentiates when the run allows it: an MLP ({@link MlpStepHvp#layers})
   * on the CPU, inputs of two axes (a Linear layer applied along the last of more keeps the general
   * route), SGD in every stage; else null.
   */
  private static MlpStepHvp.Layers batchedLayers(Module model, Trajectory tr) {
    MlpStepHvp.Layers layers = MlpStepHvp.layers(model, tr.record().config().lossFunction());
    boolean cpu = model.parameters().isEmpty() || model.parameters().get(0).value().backend().isCpu();
    boolean matrices = tr.stageData().stream().allMatch(d -> d.x().rank() == 2);
    return layers != null && cpu && matrices && BatchedSweep.sgdOnly(tr.record().config()) ? layers : null;
  }

  /** The sweep for one block: batched where {@code batched} layers are given, else per query (with the graph VJP when {@code generic}). */
  private static ReverseSweep sweep(MlpStepHvp.Layers batched, boolean generic, Trajectory tr, Dataset q, Measurement f, int[] rows, double[][][] tau, double[][] norms, DType dt) {
    return batched != null ? new BatchedSweep(tr, q, f, rows, tau, norms, dt, batched) : new QuerySweep(tr, q, f, rows, tau, norms, dt, generic);
  }
}
