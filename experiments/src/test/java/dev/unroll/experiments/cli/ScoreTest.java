package dev.unroll.experiments.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.unroll.autodiff.DType;
import dev.unroll.experiments.Options;
import dev.unroll.experiments.paper.TaskSpec;
import dev.unroll.nn.Activation;
import dev.unroll.nn.data.DataSets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.nn.data.Splits;
import dev.unroll.nn.data.TrainTest;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.ModelSpec;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.StageSpec;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.optim.train.Trainer;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.Scores;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.methods.GradientSimilarity;
import dev.unroll.tda.methods.InfluenceFunctions;
import dev.unroll.tda.methods.ScoreOptions;
import dev.unroll.tda.unroll.ExactUnroll;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./unroll score} end to end on a tiny recorded Concrete run (MLP 8-6-1, 48 training rows, 6
 * queries, 9 SGD steps): the scores it writes equal the library's on the in-memory run, methods that
 * solve the same system agree, query files in the data's own units give the held-out queries'
 * scores, {@code --method all} runs every method a tiny model fits, and bad input is named.
 */
class ScoreTest {
  static final TaskSpec SPEC = new TaskSpec("tiny", "concrete", 48, 6, 0, "absolute-error");
  @TempDir static Path dir;
  static Path runDir;
  static TrainResult trained;
  static AttributionTask task;

  @BeforeAll
  static void record() {
    TaskSpec.Data d = SPEC.build(null);
    StageSpec stage = StageSpec.of("train", DataSpec.all(d.train().name()), OptimizerSpec.sgd(0.9, 1e-5, false), LrSchedule.constant(0.05), 16, 3).withCheckpoints(6, 3);
    RunConfig cfg = RunConfig.of(ModelSpec.mlp(Activation.RELU, 8, 6, 1), "mse", DType.F64, 3, stage);
    runDir = dir.resolve("run");
    trained = Trainer.train(cfg, DataSource.of(d.train()), TrainOptions.recorded(runDir));
    SPEC.save(runDir);
    task = new AttributionTask(trained.model(), cfg.lossFunction(), SPEC.measurementFunction(), d.train(), d.queries());
  }

  static int score(String... args) throws Exception {
    return Score.run(args);
  }

  static JsonObject json(Path f) throws Exception {
    return JsonParser.parseString(Files.readString(f)).getAsJsonObject();
  }

  @Test
  void oneMethodWritesTheLibrarysScoresAndASummary() throws Exception {
    Path out = dir.resolve("one").resolve("ekfac.npy");
    assertEquals(0, score("--run", runDir.toString(), "--method", "if-ekfac", "--out", out.toString()));
    Scores got = Scores.load(out);
    List<dev.unroll.autodiff.Tensor> params = new ArrayList<>(trained.model().parameterValues());
    Scores want = InfluenceFunctions.ekfac(task, params, FitOptions.defaults(), Damping.meanEigenvalue(0.1), ScoreOptions.defaults());
    assertEquals(6, got.numQueries());
    assertEquals(48, got.numTrain());
    for (int q = 0; q < 6; q++) for (int m = 0; m < 48; m++) assertEquals(want.get(q, m), got.get(q, m), 1e-12 * (1 + Math.abs(want.get(q, m))));
    JsonObject summary = json(out.resolveSibling("ekfac.summary.json"));
    assertEquals("if-ekfac", summary.get("method").getAsString());
    assertEquals(6, summary.getAsJsonArray("shape").get(0).getAsInt());
    assertEquals(48, summary.getAsJsonArray("shape").get(1).getAsInt());
    assertTrue(summary.get("seconds").getAsDouble() >= 0);
    assertTrue(summary.getAsJsonObject("settings").has("damping"));
  }

  @Test
  void exactUnrollingMatchesTheLibraryOnTheInMemoryRun() throws Exception {
    Path out = dir.resolve("unroll.npy");
    assertEquals(0, score("--run", runDir.toString(), "--method", "unroll", "--threads", "2", "--out", out.toString()));
    Scores want = ExactUnroll.scores(trained.trajectory(), task.queries(), task.measurement(), ExactUnroll.Options.defaults()).combined();
    Scores got = Scores.load(out);
    for (int q = 0; q < 6; q++) for (int m = 0; m < 48; m++) assertEquals(want.get(q, m), got.get(q, m), 1e-12 * (1 + Math.abs(want.get(q, m))));
    // A float32 sweep of the float64 run: the same scores to float32 rounding, and not the same bits.
    Path f32 = dir.resolve("unroll32.npy");
    assertEquals(0, score("--run", runDir.toString(), "--method", "unroll", "--sweep-dtype", "float32", "--out", f32.toString()));
    Scores single = Scores.load(f32);
    assertEquals("F32", single.settings().get("sweep dtype"));
    double largest = 0, diff = 0;
    for (int q = 0; q < 6; q++) {
      for (int m = 0; m < 48; m++) {
        largest = Math.max(largest, Math.abs(want.get(q, m)));
        diff = Math.max(diff, Math.abs(want.get(q, m) - single.get(q, m)));
      }
    }
    assertTrue(diff > 0 && diff < 1e-4 * largest, "float32 sweep: largest difference " + diff + " of " + largest);
    assertThrows(Options.UsageException.class, () -> score("--run", runDir.toString(), "--method", "unroll", "--sweep-dtype", "half", "--out", f32.toString()));
  }

  @Test
  void conjugateGradientAndLissaSolveWhatTheExplicitInverseSolves() throws Exception {
    String[] common = {"--run", runDir.toString(), "--operator", "gauss-newton", "--damping", "0.5"};
    Scores explicit = scoreWith(common, "if-explicit", "explicit.npy");
    Scores cg = scoreWith(common, "if-cg", "cg.npy", "--cg-tol", "1e-12", "--cg-iters", "1000");
    Scores lissa = scoreWith(common, "if-lissa", "lissa.npy", "--lissa-tol", "1e-10", "--lissa-depth", "100000");
    double scale = 0;
    for (double[] r : explicit.values()) for (double v : r) scale = Math.max(scale, Math.abs(v));
    for (int q = 0; q < 6; q++) {
      for (int m = 0; m < 48; m++) {
        assertEquals(explicit.get(q, m), cg.get(q, m), 1e-7 * scale, "CG, query " + q + ", example " + m);
        assertEquals(explicit.get(q, m), lissa.get(q, m), 1e-5 * scale, "LiSSA, query " + q + ", example " + m);
      }
    }
  }

  @Test
  void iterativeSolversSayWhenTheyStopBeforeTheirTolerance() throws Exception {
    String[] common = {"--run", runDir.toString(), "--operator", "gauss-newton", "--damping", "0.5"};
    java.io.PrintStream err = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      scoreWith(common, "if-cg", "cg-short.npy", "--cg-tol", "1e-14", "--cg-iters", "1");
      scoreWith(common, "if-lissa", "lissa-short.npy", "--lissa-tol", "1e-14", "--lissa-depth", "2");
      scoreWith(common, "if-cg", "cg-long.npy", "--cg-tol", "1e-6", "--cg-iters", "1000");
    } finally {
      System.setErr(err);
    }
    String printed = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(printed.contains("warning: if-cg: 6 of 6 solves stopped at the limit of 1 iterations before reaching tolerance 1.0E-14") && printed.contains("raise --cg-iters"), printed);
    assertTrue(printed.contains("warning: if-lissa: 6 of 6 solves stopped at the limit of 2 iterations") && printed.contains("raise --lissa-depth"), printed);
    assertEquals(2, printed.split("warning:", -1).length - 1, "the converged solve warns of nothing: " + printed);
    JsonObject shortSettings = json(dir.resolve("cg-short.summary.json")).getAsJsonObject("settings"), longSettings = json(dir.resolve("cg-long.summary.json")).getAsJsonObject("settings");
    assertEquals("6", shortSettings.get("solves_not_converged").getAsString());
    assertEquals("0", longSettings.get("solves_not_converged").getAsString());
    assertEquals("6", longSettings.get("solves").getAsString());
    assertTrue(Double.parseDouble(longSettings.get("relative_residual_max").getAsString()) <= 1e-6);
  }

  private static Scores scoreWith(String[] common, String method, String file, String... extra) throws Exception {
    List<String> a = new ArrayList<>(List.of(common));
    a.addAll(List.of("--method", method, "--out", dir.resolve(file).toString()));
    a.addAll(List.of(extra));
    assertEquals(0, Score.run(a.toArray(new String[0])));
    return Scores.load(dir.resolve(file));
  }

  @Test
  void aQueryFileInTheDatasOwnUnitsScoresLikeTheHeldOutQueries() throws Exception {
    // The held-out rows as raw Concrete values (8 inputs, then the strength in MPa), with a header.
    TrainTest raw = Splits.split(DataSets.concrete(), 48, 6, 0);
    Dataset test = raw.test();
    double[] x = test.x().toDoubleArray(), y = ((dev.unroll.nn.Targets.Regression) test.y()).values().toDoubleArray();
    StringBuilder csv = new StringBuilder("cement,slag,ash,water,superplasticizer,coarse,fine,age,strength\n");
    for (int i = 0; i < test.size(); i++) {
      for (int j = 0; j < 8; j++) csv.append(Double.toString(x[i * 8 + j])).append(',');
      csv.append(Double.toString(y[i])).append('\n');
    }
    Path file = dir.resolve("queries.csv");
    Files.writeString(file, csv.toString());
    Path a = dir.resolve("file.npy"), b = dir.resolve("test.npy");
    assertEquals(0, score("--run", runDir.toString(), "--method", "grad-dot", "--queries", file.toString(), "--first", "4", "--out", a.toString()));
    assertEquals(0, score("--run", runDir.toString(), "--method", "grad-dot", "--queries", "test", "--first", "4", "--out", b.toString()));
    Scores fromFile = Scores.load(a), held = Scores.load(b);
    assertEquals(4, fromFile.numQueries());
    for (int q = 0; q < 4; q++) for (int m = 0; m < 48; m++) assertEquals(held.get(q, m), fromFile.get(q, m), 1e-9 * (1 + Math.abs(held.get(q, m))));

    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, "1,2,3,4,5,6,7,8,9\n1,2,3\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> score("--run", runDir.toString(), "--method", "grad-dot", "--queries", bad.toString(), "--out", dir.resolve("bad.npy").toString()));
    assertTrue(e.getMessage().contains("bad.csv line 2") && e.getMessage().contains("3 values, expected 9"), e.getMessage());
  }

  @Test
  void allScoresEveryMethodATinyModelFitsWithAgreementAndTimings() throws Exception {
    Path out = dir.resolve("all");
    assertEquals(0, score("--run", runDir.toString(), "--method", "all", "--trak-dim", "16", "--threads", "2", "--timing", "--out", out.toString()));
    JsonObject summary = json(out.resolve("summary.json"));
    assertEquals("unroll", summary.get("reference").getAsString());
    JsonObject methods = summary.getAsJsonObject("methods");
    assertEquals(Score.METHODS.keySet(), methods.keySet(), "a 61-parameter model fits every method");
    assertEquals(1.0, methods.getAsJsonObject("unroll").get("spearman_with_reference").getAsDouble(), 1e-12);
    for (String m : Score.METHODS.keySet()) {
      Scores s = Scores.load(out.resolve(m + ".npy"));
      assertEquals(6, s.numQueries(), m);
      for (double[] r : s.values()) for (double v : r) assertTrue(Double.isFinite(v), m + " gives finite scores");
    }
    JsonObject timing = summary.getAsJsonObject("timing");
    assertTrue(timing.has("training_seconds") && timing.has("ekfac_influence_to_training") && timing.has("source_to_ekfac_influence") && timing.has("unroll_per_100_queries_to_training"));
    assertEquals(0, summary.getAsJsonObject("failed").size());
  }

  @Test
  void aMethodThatFailsNumericallyLeavesTheOthersScoredAndIsReported() throws Exception {
    // A LiSSA scale far below the curvature's largest eigenvalue makes its recursion blow up.
    Path out = Files.createDirectories(dir.resolve("all-failing"));
    Files.writeString(out.resolve("if-lissa.npy"), "an earlier run's scores");
    assertEquals(1, score("--run", runDir.toString(), "--method", "all", "--trak-dim", "16", "--lissa-scale", "1e-12", "--lissa-depth", "100000", "--out", out.toString()));
    JsonObject summary = json(out.resolve("summary.json"));
    String why = summary.getAsJsonObject("failed").get("if-lissa").getAsString();
    assertTrue(why.startsWith("if-lissa: LiSSA diverged at iteration") && why.contains("the scale 1.0E-12 is below half the largest eigenvalue"), why);
    java.util.Set<String> rest = new java.util.LinkedHashSet<>(Score.METHODS.keySet());
    rest.remove("if-lissa");
    assertEquals(rest, summary.getAsJsonObject("methods").keySet());
    assertFalse(Files.exists(out.resolve("if-lissa.npy")));
    ArithmeticException alone = assertThrows(ArithmeticException.class, () -> score("--run", runDir.toString(), "--method", "if-lissa", "--lissa-scale", "1e-12", "--out", dir.resolve("diverged.npy").toString()));
    assertTrue(alone.getMessage().startsWith("if-lissa: LiSSA diverged"), alone.getMessage());
  }

  /**
   * Every method's {@code --self-influence} (its own route: squared norms, the preconditioned
   * quadratic form batch by batch, SOURCE in the segments' eigenbases, one unrolled sweep per example)
   * equals the diagonal of its N × N scores with {@code --queries train}, the training set asking
   * about its own training loss.
   */
  @Test
  void selfInfluenceIsTheDiagonalOfTheTrainingSetsScoresForEveryMethod() throws Exception {
    Path self = dir.resolve("self"), pairs = dir.resolve("pairs");
    assertEquals(0, score("--run", runDir.toString(), "--method", "all", "--self-influence", "--trak-dim", "16", "--threads", "2", "--out", self.toString()));
    assertEquals(0, score("--run", runDir.toString(), "--method", "all", "--queries", "train", "--trak-dim", "16", "--threads", "2", "--out", pairs.toString()));
    assertEquals(Score.METHODS.keySet(), json(self.resolve("summary.json")).getAsJsonObject("methods").keySet());
    for (String m : Score.METHODS.keySet()) {
      Scores diagonal = Scores.load(pairs.resolve(m + ".npy")), own = Scores.load(self.resolve(m + ".npy"));
      assertEquals(48, diagonal.numQueries(), m);
      assertTrue(own.isSelfInfluence(), m);
      double[] want = diagonal.selfValues(), got = own.selfValues();
      double scale = 0;
      for (double v : want) scale = Math.max(scale, Math.abs(v));
      assertTrue(scale > 0, m + " has a nonzero diagonal");
      for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-9 * scale, m + ", example " + i);
    }
    Options.UsageException e = assertThrows(Options.UsageException.class,
        () -> score("--run", runDir.toString(), "--method", "grad-dot", "--self-influence", "--queries", "test", "--out", dir.resolve("x.npy").toString()));
    assertTrue(e.getMessage().contains("--self-influence"), e.getMessage());
  }

  /**
   * {@code --seeds 3} is the mean of the method over the recorded run and two runs of its
   * configuration with seeds seed + 301 and seed + 302, here trained and scored independently.
   */
  @Test
  void seedsAverageTheMethodOverRunsWithOtherSeeds() throws Exception {
    Path out = dir.resolve("ensemble.npy");
    assertEquals(0, score("--run", runDir.toString(), "--method", "grad-dot", "--seeds", "3", "--out", out.toString()));
    Scores got = Scores.load(out);
    RunConfig cfg = trained.config();
    List<Scores> members = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      TrainResult r = i == 0 ? trained : Trainer.train(cfg.withSeed(cfg.seed() + 300 + i), DataSource.of(task.train()), TrainOptions.inMemory());
      AttributionTask t = new AttributionTask(r.model(), cfg.lossFunction(), SPEC.measurementFunction(), task.train(), task.queries());
      members.add(GradientSimilarity.dot(t, new ArrayList<>(r.model().parameterValues()), ScoreOptions.defaults()));
    }
    double spread = 0;
    for (int q = 0; q < 6; q++) {
      for (int m = 0; m < 48; m++) {
        double want = (members.get(0).get(q, m) + members.get(1).get(q, m) + members.get(2).get(q, m)) / 3;
        assertEquals(want, got.get(q, m), 1e-12 * (1 + Math.abs(want)), "query " + q + ", example " + m);
        spread = Math.max(spread, Math.abs(members.get(1).get(q, m) - members.get(0).get(q, m)));
      }
    }
    assertTrue(spread > 1e-3, "the members differ from the recorded run");
    assertEquals("3", got.settings().get("ensemble_size"));
  }

  @Test
  void badInputIsNamed() throws Exception {
    Options.UsageException unknown = assertThrows(Options.UsageException.class, () -> score("--run", runDir.toString(), "--method", "influence"));
    assertTrue(unknown.getMessage().contains("unknown method 'influence'") && unknown.getMessage().contains("if-ekfac") && unknown.getMessage().contains("fast-source"), unknown.getMessage());
    IllegalArgumentException notRun = assertThrows(IllegalArgumentException.class, () -> score("--run", dir.toString(), "--method", "grad-dot"));
    assertTrue(notRun.getMessage().contains("is not a recorded run") && notRun.getMessage().contains("did you mean"), notRun.getMessage());
    Path empty = Files.createDirectories(dir.resolve("empty"));
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> score("--run", empty.toString(), "--method", "grad-dot"));
    assertTrue(none.getMessage().contains("is not a recorded run: it has no manifest.json"), none.getMessage());
    Options.UsageException damping = assertThrows(Options.UsageException.class, () -> score("--run", runDir.toString(), "--method", "if-kfac", "--damping", "lots"));
    assertTrue(damping.getMessage().contains("--damping"), damping.getMessage());
    String[][] limits = {{"if-cg", "--cg-iters", "0", "--cg-iters must be >= 1, got 0"}, {"if-cg", "--cg-tol", "-1", "--cg-tol must be finite and >= 0, got -1"},
      {"if-lissa", "--lissa-depth", "-3", "--lissa-depth must be >= 1, got -3"}, {"if-lissa", "--lissa-scale", "-1", "--lissa-scale must be positive, got -1"}};
    for (String[] l : limits) {
      Options.UsageException e = assertThrows(Options.UsageException.class, () -> score("--run", runDir.toString(), "--method", l[0], l[1], l[2], "--out", dir.resolve("limit.npy").toString()));
      assertTrue(e.getMessage().contains(l[3]), e.getMessage());
    }
  }
}
