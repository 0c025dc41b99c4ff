package dev.unroll.experiments.paper;

import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.tda.AttributionTask;
import java.util.ArrayList;
import java.util.List;

/**
 * What every method of an experiment sees: the recorded base run, its recipe, the attribution task
 * at the final parameters (training set, queries, loss, measurement) and the final parameters.
 */
public record Context(Recipe recipe, TrainResult run, AttributionTask task, Measurement measurement, Dataset train, Dataset queries) {
  /** θ_T as a list in parameter order. */
  public List<Tensor> finalParameters() {
    return new ArrayList<>(run.model().parameterValues());
  }
}
