package dev.unroll.experiments.paper;

import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.tda.AttributionTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What every method and every evaluation of an experiment sees: the recorded base run, its recipe,
 * the attribution task at the final parameters (training set, queries, loss, measurement), the
 * setting it came from, the data source of its data sets, the thread count and the run folder.
 */
public record Context(Recipe recipe, TrainResult run, AttributionTask task, Measurement measurement, Dataset train, Dataset queries,
    Setting setting, DataSource source, int threads, Path out) {
  /** θ_T as a list in parameter order. */
  public List<Tensor> finalParameters() {
    return new ArrayList<>(run.model().parameterValues());
  }

  /** The base run's configuration trained without the points where {@code keep} is false ({@link Setting#onSubset}). */
  public RunConfig onSubset(boolean[] keep) {
    return Setting.onSubset(run.config(), keep);
  }
}
