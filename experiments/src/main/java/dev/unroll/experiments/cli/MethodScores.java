package dev.unroll.experiments.cli;

import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.experiments.Options;
import dev.unroll.experiments.paper.EnsembleMethods;
import dev.unroll.experiments.paper.MethodCatalog;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.Scores;
import dev.unroll.tda.TracIn;
import dev.unroll.tda.curvature.DenseCurvature;
import dev.unroll.tda.curvature.DiagonalCurvature;
import dev.unroll.tda.curvature.Ekfac;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.curvature.LinearOperator;
import dev.unroll.tda.methods.Ensembles;
import dev.unroll.tda.methods.GradientSimilarity;
import dev.unroll.tda.methods.InfluenceFunctions;
import dev.unroll.tda.methods.Preconditioner;
import dev.unroll.tda.methods.Preconditioners;
import dev.unroll.tda.methods.RepresentationSimilarity;
import dev.unroll.tda.methods.ScoreOptions;
import dev.unroll.tda.methods.Trak;
import dev.unroll.tda.source.Source;
import dev.unroll.tda.unroll.ExactUnroll;
import java.util.ArrayList;
import java.util.List;

/**
 * The scores of each method of {@code ./unroll score} by its command-line name ({@link Score#METHODS}):
 * which library call computes it, with the options it reads and the experiments' defaults
 * ({@link MethodCatalog}) for the rest; pairwise on the session's queries, or each training
 * example's self-influence, for the recorded run or averaged over runs with other seeds.
 */
final class MethodScores {
  private MethodScores() {}

  /**
   * The scores of {@code method} (a name of {@link Score#METHODS}) on the session's run and queries, or
   * with {@code --self-influence} every training example's self-influence τ(z_m, z_m) (the
   * measurement being its own training loss) as one row; with {@code --seeds K} (K ≥ 2) their mean
   * over the recorded run and K − 1 runs of its configuration with other seeds
   * ({@link EnsembleMethods#members}, trained in memory).
   */
  static Scores compute(String method, ScoreSession s) throws Exception {
    int seeds = s.options.getInt("seeds", 1);
    if (seeds < 1) throw new Options.UsageException("--seeds must be >= 1, got " + seeds);
    if (seeds == 1) return computeOne(method, s);
    // An ensemble (method.md §5): the recorded run and seeds − 1 retrainings of its configuration with other seeds.
    List<Scores> runs = new ArrayList<>();
    for (TrainResult member : EnsembleMethods.members(s.context(), seeds)) runs.add(computeOne(method, member == s.run ? s : s.withRun(member)));
    return Ensembles.average(runs);
  }

  /** {@link #compute} on the session's own run. */
  private static Scores computeOne(String method, ScoreSession s) throws Exception {
    Options o = s.options;
    ScoreOptions so = ScoreOptions.defaults().withTrainBatchSize(o.getInt("batch", 128)).withQueryBatchSize(o.getInt("batch", 128))
        .withQueryChunk(o.getInt("query-chunk", queryChunk(method, s)));
    FitOptions fit = MethodOptions.fit(o);
    AttributionTask task = s.task;
    List<Tensor> p = s.params;
    if (s.selfInfluence) return selfInfluence(method, s, so, fit);
    if (method.startsWith("if-")) return InfluenceFunctions.pairwise(task, p, preconditioner(method, s, fit), so);
    return switch (method) {
      case "grad-dot" -> GradientSimilarity.dot(task, p, so);
      case "grad-cos" -> GradientSimilarity.cosine(task, p, so);
      case "tracin" -> TracIn.pairwise(s.sourceInputs(), MethodOptions.tracinWeighting(o), so);
      case "trak" -> Trak.scores(task, trakModels(s), Trak.Options.defaults(o.getInt("trak-dim", 512)));
      case "repsim" -> RepresentationSimilarity.scores(task, p, o.get("layer", null), MethodOptions.similarity(o), so);
      case "unroll" -> ExactUnroll.scores(s.run.trajectory(), task.queries(), task.measurement(), unrollOptions(s)).combined();
      case "source" -> Source.pairwise(s.sourceSegments(o), MethodOptions.sourceOptions(o, fit, so));
      case "fast-source" -> Source.pairwise(s.sourceSegments(o).fast(), MethodOptions.sourceOptions(o, fit, so));
      default -> throw new Options.UsageException("unknown method '" + method + "'; known: " + String.join(", ", Score.METHODS.keySet()) + ", all");
    };
  }

  /** Self-influence by {@code method}: each method's own diagonal, never the N × N matrix. */
  private static Scores selfInfluence(String method, ScoreSession s, ScoreOptions so, FitOptions fit) throws Exception {
    Options o = s.options;
    AttributionTask task = s.task;
    List<Tensor> p = s.params;
    if (method.startsWith("if-")) return InfluenceFunctions.selfInfluence(task, p, preconditioner(method, s, fit), so);
    return switch (method) {
      case "grad-dot" -> GradientSimilarity.selfDot(task, p, so);
      case "grad-cos" -> GradientSimilarity.selfCosine(task, p, so);
      case "tracin" -> TracIn.selfInfluence(s.sourceInputs(), MethodOptions.tracinWeighting(o), so);
      case "trak" -> Trak.selfInfluence(task, trakModels(s), Trak.Options.defaults(o.getInt("trak-dim", 512)));
      case "repsim" -> RepresentationSimilarity.selfInfluence(task, p, o.get("layer", null), MethodOptions.similarity(o), so);
      case "unroll" -> ExactUnroll.selfInfluence(s.run.trajectory(), unrollOptions(s));
      case "source" -> Source.selfInfluence(s.sourceSegments(o), MethodOptions.sourceOptions(o, fit, so));
      case "fast-source" -> Source.selfInfluence(s.sourceSegments(o).fast(), MethodOptions.sourceOptions(o, fit, so));
      default -> throw new Options.UsageException("unknown method '" + method + "'; known: " + String.join(", ", Score.METHODS.keySet()) + ", all");
    };
  }

  /** The damped inverse curvature of an influence method ({@code if-…}), with its options and defaults. */
  private static Preconditioner preconditioner(String method, ScoreSession s, FitOptions fit) {
    Options o = s.options;
    AttributionTask task = s.task;
    List<Tensor> p = s.params;
    return switch (method) {
      case "if-explicit" -> MethodOptions.operator(o, InfluenceFunctions.Operator.HESSIAN) == InfluenceFunctions.Operator.HESSIAN
          ? Preconditioners.explicit(DenseCurvature.hessian(task, p, fit), MethodOptions.damping(o, s, "mean:0.1"))
          : Preconditioners.explicit(DenseCurvature.fisher(task, p, fit.withFisher(FisherType.EXPECTED)), MethodOptions.damping(o, s, "mean:0.1"));
      case "if-cg" -> {
        InfluenceFunctions.Operator op = MethodOptions.operator(o, InfluenceFunctions.Operator.GAUSS_NEWTON);
        double tol = o.getDouble("cg-tol", 1e-6);
        int iters = o.getInt("cg-iters", 100);
        solverLimits("cg-tol", tol, "cg-iters", iters);
        yield Preconditioners.conjugateGradient(InfluenceFunctions.operator(op, task, p, fit), op.label(), MethodOptions.damping(o, s, "learning-time"), tol, iters);
      }
      case "if-lissa" -> {
        InfluenceFunctions.Operator op = MethodOptions.operator(o, InfluenceFunctions.Operator.GAUSS_NEWTON);
        double tol = o.getDouble("lissa-tol", 1e-6), scale = o.getDouble("lissa-scale", Double.NaN);
        int depth = o.getInt("lissa-depth", 1000);
        solverLimits("lissa-tol", tol, "lissa-depth", depth);
        if (!Double.isNaN(scale) && !(scale > 0 && scale < Double.POSITIVE_INFINITY)) throw new Options.UsageException("--lissa-scale must be positive, got " + scale);
        LinearOperator g = InfluenceFunctions.operator(op, task, p, fit);
        Damping d = MethodOptions.damping(o, s, "learning-time");
        if (Double.isNaN(scale)) scale = MethodOptions.largestEigenvalue(g.damped(MethodOptions.lambdaOf(d)), 20);
        yield Preconditioners.lissa(g, op.label(), d, scale, tol, depth);
      }
      case "if-diagonal" -> Preconditioners.diagonal(DiagonalCurvature.fit(task, p, fit), MethodOptions.damping(o, s, "mean:0.1"));
      case "if-kfac" -> Preconditioners.kronecker(Ekfac.kfac(task, p, fit), MethodOptions.damping(o, s, "mean:0.1"));
      case "if-ekfac" -> Preconditioners.kronecker(Ekfac.ekfac(task, p, fit), MethodOptions.damping(o, s, "mean:0.1"));
      default -> throw new Options.UsageException("unknown influence method '" + method + "'; known: " + String.join(", ", Score.METHODS.keySet()));
    };
  }

  /**
   * Exact unrolling's sweeps: {@code --query-block}, the session's threads, and {@code --sweep-dtype
   * float32|float64} (default: the run's own; float64 differentiates a float32 run's recorded states
   * in float64, float32 a float64 run's in float32 arithmetic, faster and to float32 rounding).
   */
  private static ExactUnroll.Options unrollOptions(ScoreSession s) {
    ExactUnroll.Options u = new ExactUnroll.Options(s.options.getInt("query-block", 0), s.threads);
    String dt = s.options.get("sweep-dtype", null);
    if (dt == null) return u;
    return switch (dt) {
      case "float32" -> u.withSweepType(DType.F32);
      case "float64" -> u.withSweepType(DType.F64);
      default -> throw new Options.UsageException("--sweep-dtype must be float32 or float64, got '" + dt + "'");
    };
  }

  /** TRAK's models: the recorded one ({@code --trak-models 0}, the default) or M models trained on random halves. */
  private static List<List<Tensor>> trakModels(ScoreSession s) {
    int m = s.options.getInt("trak-models", 0);
    if (m < 0) throw new Options.UsageException("--trak-models must be >= 0, got " + m);
    return m == 0 ? List.of(s.params) : MethodCatalog.halfModels(s.context(), m, s.source);
  }

  static Scores timedCompute(String method, ScoreSession s) {
    return Backends.withCpu(Backends.cpu(), () -> {
      try {
        Scores scores = compute(method, s);
        String warning = unconvergedWarning(method, scores);
        if (warning != null) System.err.println(warning);
        return scores;
      } catch (Options.UsageException | IllegalArgumentException e) {
        throw e;
      } catch (ArithmeticException e) {
        ArithmeticException named = new ArithmeticException(method + ": " + e.getMessage());
        named.initCause(e);
        throw named;
      } catch (Exception e) {
        throw new RuntimeException(method + ": " + e.getMessage(), e);
      }
    });
  }

  /** Refuses an iterative solver's tolerance below zero and iteration limit below one, by their options' names. */
  private static void solverLimits(String tolOption, double tol, String iterOption, int iters) {
    if (!(tol >= 0 && tol < Double.POSITIVE_INFINITY)) throw new Options.UsageException("--" + tolOption + " must be finite and >= 0, got " + tol);
    if (iters < 1) throw new Options.UsageException("--" + iterOption + " must be >= 1, got " + iters);
  }

  /**
   * A warning when an iterative solver (CG, LiSSA) stopped before its tolerance for some queries,
   * naming how many, the largest residual and the option that raises the limit; null when none did.
   */
  static String unconvergedWarning(String method, Scores scores) {
    java.util.Map<String, String> st = scores.settings();
    int stopped = Integer.parseInt(st.getOrDefault(Preconditioners.UNCONVERGED, "0"));
    if (stopped == 0) return null;
    String limit = method.equals("if-lissa") ? "--lissa-depth" : "--cg-iters";
    return String.format("warning: %s: %d of %s solves stopped at the limit of %s iterations before reaching tolerance %s "
        + "(relative residual up to %.3g); the scores are approximate, raise %s", method, stopped, st.getOrDefault("solves", "?"),
        st.get("max_iterations"), st.get("tolerance"), Double.parseDouble(st.getOrDefault("relative_residual_max", "NaN")), limit);
  }

  private static final java.util.Set<String> ITERATIVE = java.util.Set.of("if-cg", "if-lissa");

  /**
   * Queries scored together (0: all), so that their float64 vectors fit in 40% of the heap: SOURCE
   * keeps one [Q, P] vector per segment plus about four for the rotations, CG and LiSSA about nine
   * (four per query in the lockstep recurrences, the rest in the operator's many-vector sweep), the others about four.
   * Each further chunk costs another sweep over the training set (per checkpoint for SOURCE), so
   * chunks are used only where memory requires them (FashionMNIST's MLP under a 2 GiB heap).
   */
  static int queryChunk(String method, ScoreSession s) {
    long perQuery = s.parameterCount() * 8L * (method.endsWith("source") ? s.run.record().segments().size() + 4 : ITERATIVE.contains(method) ? 9 : 4);
    long fit = (long) (Runtime.getRuntime().maxMemory() * 0.4) / Math.max(1, perQuery);
    return fit >= s.task.numQueries() ? 0 : (int) Math.max(1, fit);
  }
}
