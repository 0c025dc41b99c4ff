package dev.unroll.experiments.paper;

import dev.unroll.experiments.eval.Evaluations;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.Keep;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.StageSpec;
import dev.unroll.optim.train.TrainResult;
import java.util.ArrayList;
import java.util.List;

/**
 * What makes one experiment, apart from the steps every experiment shares ({@link Pipeline}): the
 * data, the configuration of the recorded run (its stages included), the measurement, the methods
 * that fit it, and how a counterfactual retrain leaves out a subset of the training points.
 *
 * <p>Score columns are the examples of {@link Data#train()}: for a multi-stage run that is the union
 * of the stages' examples, every stage training on rows of it ({@link DataSpec#indices()}).
 */
public interface Setting {
  /**
   * The prepared data: training set (score columns), queries, and groups of queries reported
   * separately (e.g. the queries of each stage's distribution; empty: only the overall LDS).
   */
  record Data(Dataset train, Dataset queries, List<QueryGroup> groups) {
    public Data(Dataset train, Dataset queries) {
      this(train, queries, List.of());
    }

    /** The data with the queries cut to the first {@code q} (groups cut to match). */
    public Data firstQueries(int q) {
      if (queries.size() <= q) return this;
      Dataset cut = dev.unroll.nn.data.Splits.first(queries, q).withName(queries.name());
      List<QueryGroup> g = new ArrayList<>();
      for (QueryGroup x : groups) g.add(x.below(q));
      return new Data(train, cut, g);
    }
  }

  /** A named group of query rows whose LDS is reported on its own. */
  record QueryGroup(String name, int[] rows) {
    QueryGroup below(int q) {
      return new QueryGroup(name, java.util.Arrays.stream(rows).filter(r -> r < q).toArray());
    }
  }

  /** The name typed after {@code ./unroll experiment}. */
  String name();

  /** The optimizer hyperparameters (and, for MLPs, the widths). */
  Recipe recipe();

  /** Loads and prepares the data (standardised, converted to the run's element type). */
  Data data();

  /** The recorded run's configuration, training on {@code data.train()} (or rows of it) with {@code seed}. */
  RunConfig config(Data data, long seed);

  /** f(z_q, θ), the quantity attributed. */
  Measurement measurement();

  /** The measurement in words, for the report. */
  String measurementText();

  /** The model in words, for the report. */
  String modelText();

  /** The methods compared on this setting. */
  List<MethodRun> methods(int threads, DataSource source, Scale scale);

  /** Retrains per subset: tabular settings use R of the scale, image settings its image R. */
  default boolean image() {
    return false;
  }

  /**
   * Which data and measurement the run used, written as {@code task.json} beside the recorded run so
   * that {@code ./unroll score} can rebuild them; null where {@link TaskSpec} cannot describe the
   * setting (then {@code score} needs {@code --task}).
   */
  default TaskSpec taskSpec() {
    return null;
  }

  /**
   * The evaluations beside the LDS at {@code --evaluations quick}, sized so that they stay within a
   * few minutes for the setting's retraining cost: {@link Evaluations.Plan#quickImage} for image
   * data, else {@link Evaluations.Plan#quick}.
   */
  default Evaluations.Plan quickEvaluations() {
    return image() ? Evaluations.Plan.quickImage() : Evaluations.Plan.quick();
  }

  /** Indices (in the training set) of the points whose label the setting corrupted, or null when none were. */
  default int[] corrupted() {
    return null;
  }

  /** What the recorded base run keeps in memory (every step for small models, checkpoints otherwise). */
  default Keep keep() {
    return Keep.ALL_STEPS;
  }

  /** The optimizer in words for the report, given the base run. */
  default String optimizerText(TrainResult base) {
    Recipe r = recipe();
    return "SGD lr " + r.lr() + ", momentum " + r.momentum() + ", weight decay " + r.weightDecay() + ", batch " + r.batchSize() + ", " + r.epochs() + " epochs (" + base.record().totalSteps() + " steps)";
  }

  /** Further settings lines of the report. */
  default void describe(dev.unroll.experiments.report.Report report) {}

  /**
   * The configuration {@code base} trained without the training points where {@code keep} is false:
   * every stage keeps the rows of its data spec whose score column is kept (a point absent from a
   * stage changes nothing there; a point in several stages leaves all of them).
   */
  static RunConfig onSubset(RunConfig base, boolean[] keep) {
    RunConfig c = base;
    for (int s = 0; s < base.numStages(); s++) {
      StageSpec st = base.stage(s);
      int[] idx = st.data().indices();
      if (idx == null) {
        c = c.withData(s, DataSpec.mask(st.data().dataset(), keep));
        continue;
      }
      int n = 0;
      for (int i : idx) {
        if (i >= keep.length) throw new IllegalArgumentException("stage '" + st.name() + "' trains on row " + i + " but the subset mask covers " + keep.length + " training points");
        if (keep[i]) n++;
      }
      int[] kept = new int[n];
      for (int i = 0, k = 0; i < idx.length; i++) if (keep[idx[i]]) kept[k++] = idx[i];
      c = c.withData(s, DataSpec.subset(st.data().dataset(), kept));
    }
    return c;
  }
}
