package dev.unroll.tda;

import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Loss;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Module;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.tda.grad.GradientLayout;
import java.util.Objects;

/**
 * What an attribution question is about (the user-facing description, in the spirit of
 * kronfluence's task): a model, the per-example training loss L(z, θ) whose mean the optimizer
 * minimised, the measurement f(z_q, θ) asked about, the training set z_1..z_N and the queries.
 * Parameter values are not part of the task: every method takes them as a {@code List<Tensor>} in
 * {@link Module#parameters()} order (a checkpoint), so methods over several checkpoints (TracIn,
 * SOURCE) call the same machinery once per checkpoint.
 *
 * <p>Scores index the training set in the order of {@link #train()} and the queries in the order
 * of {@link #queries()}.
 */
public final class AttributionTask {
  private final Module model;
  private final Loss loss;
  private final Measurement measurement;
  private final Dataset train, queries;
  private final GradientLayout layout;

  public AttributionTask(Module model, Loss loss, Measurement measurement, Dataset train, Dataset queries) {
    this.model = Objects.requireNonNull(model, "model");
    this.loss = Objects.requireNonNull(loss, "loss");
    this.measurement = Objects.requireNonNull(measurement, "measurement");
    this.train = Objects.requireNonNull(train, "train");
    this.queries = Objects.requireNonNull(queries, "queries");
    if (train.size() == 0) throw new IllegalArgumentException("attribution task with an empty training set");
    this.layout = GradientLayout.of(model);
  }

  /** A task over tensors: training inputs/targets and query inputs/targets. */
  public static AttributionTask of(Module model, Loss loss, Measurement measurement, Tensor trainX, Targets trainY, Tensor queryX, Targets queryY) {
    return new AttributionTask(model, loss, measurement, new Dataset("train", trainX, trainY), new Dataset("queries", queryX, queryY));
  }

  public Module model() { return model; }

  public Loss loss() { return loss; }

  public Measurement measurement() { return measurement; }

  public Dataset train() { return train; }

  public Dataset queries() { return queries; }

  /** The block layout of the model's parameters (shared by every method on this task). */
  public GradientLayout layout() { return layout; }

  /** N, the number of training examples. */
  public int numTrain() { return train.size(); }

  /** Q, the number of queries. */
  public int numQueries() { return queries.size(); }

  /** The same task with other queries. */
  public AttributionTask withQueries(Dataset q) {
    return new AttributionTask(model, loss, measurement, train, q);
  }

  /** The same task with another training set (e.g. one stage of multi-stage training). */
  public AttributionTask withTrain(Dataset t) {
    return new AttributionTask(model, loss, measurement, t, queries);
  }

  /** The same task with another measurement. */
  public AttributionTask withMeasurement(Measurement m) {
    return new AttributionTask(model, loss, m, train, queries);
  }

  /**
   * The training set asking about itself: queries = the training set and measurement = the training
   * loss, whose pairwise scores have the self-influences on their diagonal.
   */
  public AttributionTask trainAsQueries() {
    return new AttributionTask(model, loss, Measurement.loss(loss), train, train);
  }

  @Override
  public String toString() {
    return "AttributionTask(model=" + model + ", loss=" + loss + ", measurement=" + measurement + ", train=" + train.size() + ", queries=" + queries.size() + ")";
  }
}
