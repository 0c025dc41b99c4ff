package dev.unroll.experiments.cli;

import dev.unroll.autodiff.Tensor;
import dev.unroll.experiments.Options;
import dev.unroll.experiments.paper.Context;
import dev.unroll.experiments.paper.MethodCatalog;
import dev.unroll.experiments.paper.TaskSpec;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.data.Dataset;
import dev.unroll.nn.data.Splits;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.Keep;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.RunDirectory;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.optim.train.Trainer;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.source.SourceInputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A recorded run loaded for scoring: its data rebuilt and checked, the final model, the queries. */
final class ScoreSession {
  final Path dir;
  final TaskSpec spec;
  final TrainResult run;
  final RunConfig config;
  final DataSource source;
  final AttributionTask task;
  final List<Tensor> params;
  final Options options;
  final int threads;
  final String queryLabel;
  /** {@code --self-influence}: every method scores each training example against itself (its training loss as the measurement). */
  final boolean selfInfluence;
  private SourceInputs sourceInputs;

  private ScoreSession(Path dir, TaskSpec spec, TrainResult run, DataSource source, AttributionTask task, Options options, String queryLabel) {
    this.dir = dir;
    this.spec = spec;
    this.run = run;
    this.config = run.config();
    this.source = source;
    this.task = task;
    this.params = new ArrayList<>(run.model().parameterValues());
    this.options = options;
    this.threads = options.getInt("threads", Runtime.getRuntime().availableProcessors());
    if (threads < 1) throw new Options.UsageException("--threads must be >= 1, got " + threads);
    this.selfInfluence = options.flag("self-influence");
    this.queryLabel = selfInfluence ? "the training set itself (self-influence)" : queryLabel;
  }

  static ScoreSession open(Path dir, Options o) {
    if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + " is not a directory; --run takes the directory of a recorded run (e.g. runs/concrete-quick/run)");
    if (!RunDirectory.exists(dir)) {
      String hint = RunDirectory.exists(dir.resolve("run")) ? "; did you mean " + dir.resolve("run") + "?" : " (a recorded run holds config.json and manifest.json; ./unroll experiment NAME --train-only records one)";
      throw new IllegalArgumentException(dir + " is not a recorded run: it has no manifest.json" + hint);
    }
    RunDirectory rd = RunDirectory.open(dir);
    if ("diverged".equals(rd.status())) throw new IllegalArgumentException(dir + " holds a run that diverged (" + rd.message() + "); there is nothing to attribute");
    if (!"complete".equals(rd.status())) {
      throw new IllegalArgumentException(dir + " holds an unfinished run (" + rd.stepsCompleted() + " of " + rd.record().totalSteps() + " steps stored); finish it first by running the same experiment again");
    }
    TaskSpec spec;
    if (o.get("task", null) != null) spec = TaskSpec.ofExperiment(o.get("task", null));
    else if (TaskSpec.exists(dir)) spec = TaskSpec.load(dir);
    else throw new IllegalArgumentException(dir + " has no " + TaskSpec.FILE + " saying which data it trained on; pass --task NAME (concrete, concrete-early, fashion-mnist, fashion-mnist-n)");
    if (o.flag("self-influence") && (o.get("queries", null) != null || o.get("first", null) != null)) {
      throw new Options.UsageException("--self-influence scores every training example against itself; it takes no --queries or --first");
    }
    TaskSpec.Data data = spec.build(o.get("data", null));
    RunConfig config = rd.config();
    Dataset train = data.train().to(config.dataType());
    Dataset queries;
    String queriesOption = o.get("queries", "test");
    String label;
    if (queriesOption.equals("test")) {
      queries = data.queries();
      label = "test";
    } else if (queriesOption.equals("train")) {
      queries = train;
      label = "train (training loss)";
    } else {
      Dataset raw = QueryFile.read(Path.of(queriesOption), spec.name() + "-file-queries", train.inputSize(),
          train.isClassification() ? 0 : train.targetDim(), train.isClassification() ? train.numClasses() : 0);
      queries = data.prepare().apply(raw).withName(spec.name() + "-file-queries");
      label = queriesOption;
    }
    int first = o.getInt("first", 0);
    if (first < 0) throw new Options.UsageException("--first must be >= 0 (0: all queries), got " + first);
    if (first > 0 && first < queries.size()) {
      queries = Splits.first(queries, first).withName(queries.name());
      label += " (first " + first + ")";
    }
    queries = queries.to(config.dataType());
    DataSource source = DataSource.of(train, data.queries().withName(spec.name() + "-queries"));
    // The recorded run as it is: a finished run is loaded, not trained (its data checked against the recorded fingerprints).
    TrainResult run = Trainer.train(config, source, TrainOptions.recorded(dir).resume(true).keep(Keep.CHECKPOINTS));
    // The training set as queries asks about each example's own training loss: the pairwise matrix whose diagonal is the self-influence.
    Measurement f = queriesOption.equals("train") ? Measurement.loss(config.lossFunction()) : spec.measurementFunction();
    AttributionTask task = new AttributionTask(run.model(), config.lossFunction(), f, train, queries);
    return new ScoreSession(dir, spec, run, source, task, o, label);
  }

  /** The same session on another run of the recorded configuration (an ensemble member): its model, trajectory and parameters. */
  ScoreSession withRun(TrainResult member) {
    AttributionTask t = new AttributionTask(member.model(), task.loss(), task.measurement(), task.train(), task.queries());
    return new ScoreSession(dir, spec, member, source, t, options, queryLabel);
  }

  long parameterCount() {
    long n = 0;
    for (Tensor t : params) n += t.numel();
    return n;
  }

  int checkpointCount() {
    return run.record().segments().stream().mapToInt(g -> g.checkpointSteps().length).sum();
  }

  SourceInputs sourceInputs() {
    if (sourceInputs == null) sourceInputs = SourceInputs.of(run.trajectory(), task);
    return sourceInputs;
  }

  /** The recorded segments, merged to L per stage with {@code --segments L} (MethodCatalog.segments). */
  SourceInputs sourceSegments(Options o) {
    int l = o.getInt("segments", Integer.MAX_VALUE);
    if (l < 1) throw new Options.UsageException("--segments must be >= 1, got " + l);
    return MethodCatalog.segments(sourceInputs(), l);
  }

  Context context() {
    // No experiment setting here: a recorded run, its data and the thread count are all the methods use.
    return new Context(null, run, task, task.measurement(), task.train(), task.queries(), null, source, threads, dir);
  }
}
