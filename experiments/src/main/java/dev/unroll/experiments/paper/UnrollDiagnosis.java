package dev.unroll.experiments.paper;

import dev.unroll.autodiff.Backends;
import dev.unroll.experiments.Options;
import dev.unroll.experiments.eval.Lds;
import dev.unroll.nn.AbsoluteError;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.data.Dataset;
import dev.unroll.nn.data.Splits;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.Keep;
import dev.unroll.optim.train.KernelThreads;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.optim.train.Trainer;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Scores;
import dev.unroll.tda.unroll.ExactUnroll;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.commons.math3.stat.correlation.PearsonsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/**
 * Why exact unrolling disagrees with the other methods on Concrete (not a unit test; prints a
 * report). With the Concrete recipe (options --lr, --momentum, --epochs override it) it measures:
 * <ol>
 *   <li>exact unrolling against central finite differences of weighted retraining of the experiment's
 *       own run, and against the actual effect of removing one example from that same run (weight 0,
 *       same initialisation and batch order);</li>
 *   <li>the LDS of exact unrolling, SOURCE and EK-FAC against four ground truths on the experiment's
 *       subsets: retraining on the subset with other seeds (the experiment's truth), on the subset with
 *       the base seed, with the removed examples weighted 0 and the base seed (the counterfactual the
 *       unrolling linearises), and weighted 0 with other seeds; plus the same-seed weighted truth for
 *       small removals (1% and 10%), where the linearisation should hold if the path is not chaotic;</li>
 *   <li>the Spearman correlation between the scores of two base runs with different seeds, per method;</li>
 *   <li>the growth of the adjoint norm ‖∂f/∂θ_k‖ through the reverse sweep.</li>
 * </ol>
 * Run: {@code java -cp experiments/target/unroll.jar dev.unroll.experiments.paper.UnrollDiagnosis
 * [--queries 25] [--subsets 32] [--seeds 2] [--threads 2] [--lr 0.03] [--momentum 0.9] [--epochs 20]}.
 */
public final class UnrollDiagnosis {
  private UnrollDiagnosis() {}

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args, Set.of("queries", "subsets", "seeds", "threads", "lr", "momentum", "epochs", "parts", "activation"), Set.of());
    Recipe c0 = Recipe.concrete();
    Recipe r = new Recipe(c0.task(), c0.widths(), c0.trainSize(), c0.querySize(), o.getDouble("lr", c0.lr()), o.getDouble("momentum", c0.momentum()), c0.weightDecay(), c0.batchSize(), o.getInt("epochs", c0.epochs()));
    int nq = o.getInt("queries", 25), m = o.getInt("subsets", 32), seeds = o.getInt("seeds", 2), threads = o.getInt("threads", 2);
    String parts = o.get("parts", "fd,scan,loo,lds,small,seeds,adjoint");
    UciSetting setting = new UciSetting("concrete", r, null);
    Setting.Data data = setting.data();
    Dataset train = data.train();
    Dataset queries = Splits.first(data.queries(), nq).withName(data.queries().name());
    DataSource source = DataSource.of(train, queries);
    Measurement f = new AbsoluteError();
    RunConfig relu = setting.config(data, 0);
    // --activation tanh|gelu: a smooth network, whose training map has no jumps (ReLU's derivative is a step).
    String act = o.get("activation", "relu");
    RunConfig cfg = act.equals("relu") ? relu
        : new RunConfig(dev.unroll.optim.train.ModelSpec.mlp(act.equals("gelu") ? dev.unroll.nn.Activation.GELU : dev.unroll.nn.Activation.TANH, r.widths()), relu.loss(), relu.dtype(), relu.seed(), relu.stages());
    System.out.printf("Concrete: %s MLP, lr %s, momentum %s, %d epochs, %d queries, %d subsets, %d seeds, %d threads%n", act, r.lr(), r.momentum(), r.epochs(), nq, m, seeds, threads);

    long t0 = System.nanoTime();
    TrainResult base = Trainer.train(cfg, source, TrainOptions.inMemory().keep(Keep.ALL_STEPS));
    System.out.printf("base run: %d steps in %.1f s, final training loss %.4f%n", base.record().totalSteps(), secs(t0), base.record().loss(base.record().totalSteps() - 1));
    double[] f0 = Pipeline.measure(base.model(), f, queries);
    t0 = System.nanoTime();
    ExactUnroll.Result ex = ExactUnroll.scores(base.trajectory(), queries, f, ExactUnroll.Options.automatic(threads).withAdjointTrace());
    double[][] tau = ex.combined().values();
    System.out.printf("exact unrolling: %.1f s%n", secs(t0));
    Map<String, double[][]> methods = new LinkedHashMap<>();
    methods.put("exact unrolling", tau);
    methods.putAll(others(r, base, f, train, queries, source, threads));

    if (parts.contains("adjoint")) adjointGrowth(ex.adjointNorms(), r.stepsPerEpoch(train.size()));

    if (parts.contains("fd")) {
      System.out.println("\n## 1. exact unrolling vs central finite differences of weighted retraining (this run, float64)");
      System.out.println("| query | example | tau (unrolled) | FD, eps 1e-4 | rel. diff | FD, eps 1e-6 | rel. diff | f(w_i=0) - f(w_i=1) |");
      System.out.println("|---|---|---|---|---|---|---|---|");
      for (int i : new int[] {0, 1, 2}) {
        double[] removed = weighted(cfg, source, f, queries, i, 0);
        double[][] fd = new double[2][];
        double[] epss = {1e-4, 1e-6};
        for (int e = 0; e < 2; e++) {
          double[] fp = weighted(cfg, source, f, queries, i, 1 + epss[e]), fm = weighted(cfg, source, f, queries, i, 1 - epss[e]);
          fd[e] = new double[fp.length];
          for (int q = 0; q < fp.length; q++) fd[e][q] = -(fp[q] - fm[q]) / (2 * epss[e]);
        }
        for (int q : new int[] {0, 1}) {
          System.out.printf("| %d | %d | %.6g | %.6g | %.1e | %.6g | %.1e | %.4g |%n", q, i, tau[q][i], fd[0][q], Math.abs(tau[q][i] - fd[0][q]) / Math.abs(fd[0][q]), fd[1][q],
              Math.abs(tau[q][i] - fd[1][q]) / Math.abs(fd[1][q]), removed[q] - f0[q]);
        }
      }
    }

    if (parts.contains("loo")) {
      // Leave one out of the same path: is τ the effect of removing the example, as a number?
      int ne = 24;
      double[][] actual = new double[nq][ne];
      List<double[]> runs = parallel(threads, ne, i -> weighted(cfg, source, f, queries, i, 0));
      for (int i = 0; i < ne; i++) for (int q = 0; q < nq; q++) actual[q][i] = runs.get(i)[q] - f0[q];
      double sp = 0, pe = 0, ratio = 0;
      for (int q = 0; q < nq; q++) {
        double[] t = java.util.Arrays.copyOf(tau[q], ne);
        sp += new SpearmansCorrelation().correlation(t, actual[q]) / nq;
        pe += new PearsonsCorrelation().correlation(t, actual[q]) / nq;
        ratio += rms(actual[q]) / rms(t) / nq;
      }
      System.out.printf("%n## 2. removing one example from the same path (weight 0, seed 0), %d examples x %d queries%n", ne, nq);
      System.out.printf("mean over queries: Spearman(tau, actual change) %.3f, Pearson %.3f, rms(actual)/rms(tau) %.3f%n", sp, pe, ratio);
      // The same single removals retrained with another seed: what the seed alone does to f.
      double[] f1 = measureRun(cfg.withSeed(1), source, f, queries);
      System.out.printf("for scale: rms over queries of f(seed 1) - f(seed 0) = %.4f; rms of tau = %.4f; rms of one removal's actual change = %.4f%n",
          rms(diff(f1, f0)), rmsAll(tau), rmsAll(actual));
    }

    if (parts.contains("scan")) scan(cfg, source, f, queries, tau, threads, base);

    boolean[][] masks = Lds.subsets(train.size(), 0.5, m, 1000);
    double[][] expTruth = null;
    if (parts.contains("avg")) {
      expTruth = truth(masks, seeds, threads, (mask, s) -> measureRun(cfg.withData(0, DataSpec.mask(train.name(), mask)).withSeed(s), source, f, queries), false);
    }
    if (parts.contains("lds")) {
      System.out.printf("%n## 3. LDS (alpha = 0.5, the experiment's %d subsets) against four ground truths%n", m);
      Map<String, double[][]> truths = new LinkedHashMap<>();
      truths.put("subset, other seeds (experiment)", truth(masks, seeds, threads, (mask, s) -> measureRun(cfg.withData(0, DataSpec.mask(train.name(), mask)).withSeed(s), source, f, queries), false));
      truths.put("subset, base seed", truth(masks, 1, threads, (mask, s) -> measureRun(cfg.withData(0, DataSpec.mask(train.name(), mask)), source, f, queries), true));
      truths.put("weight 0, base seed (same path)", truth(masks, 1, threads, (mask, s) -> measureRun(cfg.withWeights(0, weights(mask)), source, f, queries), true));
      truths.put("weight 0, other seeds", truth(masks, seeds, threads, (mask, s) -> measureRun(cfg.withWeights(0, weights(mask)).withSeed(s), source, f, queries), false));
      ldsTable(methods, masks, truths);
      double[][] a = truths.get("subset, other seeds (experiment)"), b = truths.get("weight 0, base seed (same path)"), c = truths.get("subset, base seed");
      System.out.printf("Spearman over subsets between truths (mean over queries): same-path weight-0 vs experiment %.3f; subset base seed vs experiment %.3f%n", colSpearman(a, b), colSpearman(a, c));
    }

    if (parts.contains("small")) {
      for (double keep : new double[] {0.99, 0.9}) {
        boolean[][] sm = Lds.subsets(train.size(), keep, m, 2000);
        System.out.printf("%n## 4. removing %.0f%% of the data (weight 0, base seed: the same path), %d subsets%n", 100 * (1 - keep), m);
        Map<String, double[][]> truths = new LinkedHashMap<>();
        truths.put("weight 0, base seed", truth(sm, 1, threads, (mask, s) -> measureRun(cfg.withWeights(0, weights(mask)), source, f, queries), true));
        truths.put("weight 0, other seeds", truth(sm, seeds, threads, (mask, s) -> measureRun(cfg.withWeights(0, weights(mask)).withSeed(s), source, f, queries), false));
        ldsTable(methods, sm, truths);
      }
    }

    if (parts.contains("seeds")) {
      System.out.println("\n## 5. the same methods on a second base run (seed 1): mean over queries of Spearman(scores seed 0, scores seed 1)");
      TrainResult b1 = Trainer.train(cfg.withSeed(1), source, TrainOptions.inMemory().keep(Keep.ALL_STEPS));
      Map<String, double[][]> m1 = new LinkedHashMap<>();
      m1.put("exact unrolling", ExactUnroll.scores(b1.trajectory(), queries, f, ExactUnroll.Options.automatic(threads)).combined().values());
      m1.putAll(others(r, b1, f, train, queries, source, threads));
      System.out.println("| method | Spearman between seeds |");
      System.out.println("|---|---|");
      for (String k : methods.keySet()) System.out.printf("| %s | %.3f |%n", k, ReportFigures.meanRowSpearman(methods.get(k), m1.get(k)));
      if (expTruth != null) {
        System.out.println("\nLDS against the experiment's truth of each method on base run 0, on base run 1, and of the mean of the two runs' scores");
        System.out.println("| method | run 0 | run 1 | mean of both |");
        System.out.println("|---|---|---|---|");
        for (String k : methods.keySet()) {
          double[][] a = methods.get(k), b = m1.get(k), avg = new double[a.length][a[0].length];
          for (int q = 0; q < a.length; q++) for (int i = 0; i < a[q].length; i++) avg[q][i] = (a[q][i] + b[q][i]) / 2;
          System.out.printf("| %s | %.3f | %.3f | %.3f |%n", k, Lds.score(a, masks, expTruth, 7).mean(), Lds.score(b, masks, expTruth, 7).mean(), Lds.score(avg, masks, expTruth, 7).mean());
        }
      }
    }
  }

  /**
   * How far the derivative carries: retrain with example i's weight 1 − ε (same seed, same batches)
   * for ε from 1e-9 to 1 and compare the change of θ at the checkpoints and of f on every query
   * with ε·τ, the first-order prediction.
   */
  static void scan(RunConfig cfg, DataSource source, Measurement f, Dataset queries, double[][] tau, int threads, TrainResult base) throws Exception {
    TrainResult ref = Trainer.train(cfg, source, TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
    int[] cks = ref.record().checkpointSteps();
    double[] f0 = Pipeline.measure(ref.model(), f, queries);
    double[] epss = {1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1};
    for (int i : new int[] {0, 5}) {
      System.out.printf("%n## weight of example %d set to 1 - eps, same seed and batches: change of theta at the checkpoints and of f (25 queries) against eps * tau%n", i);
      StringBuilder h = new StringBuilder("| eps |"), sep = new StringBuilder("|---|");
      for (int c : cks) {
        if (c == 0) continue;
        h.append(" ||dtheta_").append(c).append("||/eps |");
        sep.append("---|");
      }
      System.out.println(h + " rms_q(df)/eps | rms_q(tau) | Pearson_q(df/eps, tau) |");
      System.out.println(sep + "---|---|---|");
      List<double[]> rows = parallel(threads, epss.length, e -> {
        double[] w = new double[cfg.stage(0).data().resolve(source).size()];
        java.util.Arrays.fill(w, 1);
        w[i] = 1 - epss[e];
        TrainResult r = Trainer.train(cfg.withWeights(0, w), source, TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
        double[] out = new double[cks.length - 1 + 3];
        int at = 0;
        for (int c : cks) {
          if (c == 0) continue;
          double[] a = r.snapshots().get(c).flatParameters(dev.unroll.autodiff.DType.F64).toDoubleArray(), b = ref.snapshots().get(c).flatParameters(dev.unroll.autodiff.DType.F64).toDoubleArray();
          double ss = 0;
          for (int j = 0; j < a.length; j++) ss += (a[j] - b[j]) * (a[j] - b[j]);
          out[at++] = Math.sqrt(ss) / epss[e];
        }
        double[] fe = Pipeline.measure(r.model(), f, queries), df = new double[fe.length], t = new double[fe.length];
        for (int q = 0; q < fe.length; q++) {
          df[q] = (fe[q] - f0[q]) / epss[e];
          t[q] = tau[q][i];
        }
        out[at++] = rms(df);
        out[at++] = rms(t);
        out[at] = new PearsonsCorrelation().correlation(df, t);
        return out;
      });
      for (int e = 0; e < epss.length; e++) {
        StringBuilder row = new StringBuilder(String.format("| %.0e |", epss[e]));
        for (double v : rows.get(e)) row.append(String.format(" %.4g |", v));
        System.out.println(row);
      }
    }
  }

  /** SOURCE (L=3) and EK-FAC influence on a run, by the catalogue's settings. */
  static Map<String, double[][]> others(Recipe r, TrainResult run, Measurement f, Dataset train, Dataset queries, DataSource source, int threads) throws Exception {
    AttributionTask attr = new AttributionTask(run.model(), run.config().lossFunction(), f, train, queries);
    Context ctx = new Context(r, run, attr, f, train, queries, new UciSetting("concrete", r, null), source, threads, null);
    Map<String, double[][]> out = new LinkedHashMap<>();
    for (MethodRun mr : MethodCatalog.all(false, threads, source, false)) {
      if (!mr.name().equals("SOURCE (L=3)") && !mr.name().equals("EK-FAC influence")) continue;
      Scores s = Backends.withCpu(Backends.cpu(), () -> {
        try {
          return mr.compute().run(ctx);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      out.put(mr.name(), s.values());
    }
    return out;
  }

  static void adjointGrowth(double[][] norms, int perEpoch) {
    int t = norms[0].length - 1;
    System.out.println("\n## adjoint norm ||df/dtheta_k|| through the reverse sweep (median over queries, relative to k = T)");
    System.out.println("| step k | epochs before the end | median ratio | max ratio |");
    System.out.println("|---|---|---|---|");
    for (int k = t; k >= 0; k -= perEpoch * Math.max(1, t / perEpoch / 10)) {
      double[] ratio = new double[norms.length];
      for (int q = 0; q < norms.length; q++) ratio[q] = norms[q][k] / norms[q][t];
      java.util.Arrays.sort(ratio);
      System.out.printf("| %d | %.0f | %.4g | %.4g |%n", k, (t - k) / (double) perEpoch, ratio[ratio.length / 2], ratio[ratio.length - 1]);
    }
  }

  static void ldsTable(Map<String, double[][]> methods, boolean[][] masks, Map<String, double[][]> truths) {
    StringBuilder h = new StringBuilder("| method |"), sep = new StringBuilder("|---|");
    for (String k : truths.keySet()) {
      h.append(' ').append(k).append(" |");
      sep.append("---|");
    }
    System.out.println(h);
    System.out.println(sep);
    for (var e : methods.entrySet()) {
      StringBuilder row = new StringBuilder("| " + e.getKey() + " |");
      for (double[][] a : truths.values()) {
        Lds.Result res = Lds.score(e.getValue(), masks, a, 7);
        row.append(String.format(" %.3f [%.3f, %.3f] |", res.mean(), res.low(), res.high()));
      }
      System.out.println(row);
    }
  }

  interface Retrain {
    double[] run(boolean[] mask, long seed) throws Exception;
  }

  /** Mean over R retrains of the query measurements per subset, [M][Q]; base-seed truths use seed 0. */
  static double[][] truth(boolean[][] masks, int seeds, int threads, Retrain fn, boolean baseSeed) throws Exception {
    long t0 = System.nanoTime();
    List<double[]> runs = parallel(threads, masks.length * seeds, i -> fn.run(masks[i / seeds], baseSeed ? 0 : 1_000_000L * (i / seeds + 1) + i % seeds));
    double[][] a = new double[masks.length][];
    for (int j = 0; j < masks.length; j++) {
      a[j] = new double[runs.get(0).length];
      for (int s = 0; s < seeds; s++) for (int q = 0; q < a[j].length; q++) a[j][q] += runs.get(j * seeds + s)[q] / seeds;
    }
    System.out.printf("(%d retrains in %.1f s)%n", masks.length * seeds, secs(t0));
    return a;
  }

  interface Job {
    double[] run(int i) throws Exception;
  }

  static List<double[]> parallel(int threads, int n, Job job) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<double[]>> fs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int ii = i;
        fs.add(pool.submit(() -> KernelThreads.single(() -> {
          try {
            return job.run(ii);
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        })));
      }
      List<double[]> out = new ArrayList<>();
      for (Future<double[]> fu : fs) out.add(fu.get());
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  static double[] weights(boolean[] mask) {
    double[] w = new double[mask.length];
    for (int i = 0; i < w.length; i++) w[i] = mask[i] ? 1 : 0;
    return w;
  }

  /** f on the queries after training with example i's weight set to {@code wi} (all others 1). */
  static double[] weighted(RunConfig cfg, DataSource source, Measurement f, Dataset queries, int i, double wi) {
    double[] w = new double[cfg.stage(0).data().resolve(source).size()];
    java.util.Arrays.fill(w, 1);
    w[i] = wi;
    return measureRun(cfg.withWeights(0, w), source, f, queries);
  }

  static double[] measureRun(RunConfig cfg, DataSource source, Measurement f, Dataset queries) {
    return Pipeline.measure(Trainer.train(cfg, source, TrainOptions.inMemory()).model(), f, queries);
  }

  /** Mean over queries (columns) of the Spearman correlation over subsets (rows). */
  static double colSpearman(double[][] a, double[][] b) {
    double s = 0;
    int q = a[0].length;
    for (int k = 0; k < q; k++) {
      double[] x = new double[a.length], y = new double[a.length];
      for (int j = 0; j < a.length; j++) {
        x[j] = a[j][k];
        y[j] = b[j][k];
      }
      s += new SpearmansCorrelation().correlation(x, y) / q;
    }
    return s;
  }

  static double[] diff(double[] a, double[] b) {
    double[] d = new double[a.length];
    for (int i = 0; i < d.length; i++) d[i] = a[i] - b[i];
    return d;
  }

  static double rms(double[] v) {
    double s = 0;
    for (double x : v) s += x * x;
    return Math.sqrt(s / v.length);
  }

  static double rmsAll(double[][] v) {
    double s = 0;
    int n = 0;
    for (double[] r : v) {
      for (double x : r) s += x * x;
      n += r.length;
    }
    return Math.sqrt(s / n);
  }

  static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
