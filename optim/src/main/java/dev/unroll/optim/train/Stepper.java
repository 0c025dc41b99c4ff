package dev.unroll.optim.train;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Loss;
import dev.unroll.nn.Module;
import dev.unroll.nn.Parameter;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.Optimizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one implementation of a training step, shared by training, resuming and replay so that all
 * three perform the same floating-point operations in the same order (bit-identical results).
 * Step k with batch I, weights w, learning rate η_k: J = (1/|I|)·Σ_{i∈I} wᵢ·L(zᵢ, θ_k) (the plain
 * mean when the stage has no weights), g = ∇J, then the stage's optimizer step (θ, state) ← U(θ,
 * state, g, η_k). Not thread-safe: one per thread.
 *
 * <p>On a device backend the parameters and optimizer buffers live on the device for the whole
 * run; each step uploads its batch's inputs and reads back only the loss. Snapshots are CPU copies.
 * The initial parameters are drawn on the CPU and moved, so every device starts from the same θ₀.
 */
final class Stepper {
  private final RunRecord record;
  private final RunConfig config;
  private final Module model;
  private final List<Parameter> params;
  private final List<Tensor> values;
  private final Loss loss;
  private final List<Dataset> data;
  private final double[][] weights;
  private final Backend device;
  private Optimizer opt;
  private int optStage = -1;

  Stepper(RunRecord record, List<Dataset> data) {
    this(record, data, Backends.cpu());
  }

  /** A stepper whose model, gradients and optimizer state live on {@code device}. */
  Stepper(RunRecord record, List<Dataset> data, Backend device) {
    this.record = record;
    this.config = record.config();
    this.device = device;
    this.model = config.model().build(config.dataType(), new Rng(config.seed()));
    if (!device.isCpu()) model.to(device);
    this.params = model.parameters();
    this.values = new ArrayList<>();
    for (Parameter p : params) values.add(p.value());
    this.loss = config.lossFunction();
    this.data = List.copyOf(data);
    this.weights = new double[config.numStages()][];
    for (int s = 0; s < weights.length; s++) weights[s] = config.stage(s).weights();
  }

  Module model() {
    return model;
  }

  Backend device() {
    return device;
  }

  /** Sets parameters and optimizer to a snapshot's; the next step taken is snapshot.step(). */
  void restore(Snapshot s) {
    model.loadStateDict(s.parameters());
    int stage = record.stageOf(s.step());
    opt = config.stage(stage).optimizer().create();
    optStage = stage;
    if (s.step() > record.stageStart(stage)) {
      if (s.optimizerState().isEmpty()) throw new IllegalStateException("snapshot of step " + s.step() + " has no optimizer state, but step " + s.step() + " is inside stage " + stage);
      opt.loadState(s.optimizerState());
    }
  }

  /** θ_steps and the optimizer state now (detached copies). */
  Snapshot snapshot(int steps) {
    return new Snapshot(steps, model.stateDict(), opt == null ? Map.of() : opt.state());
  }

  /** Takes global step k; returns its objective J. */
  double step(int k) {
    int s = record.stageOf(k);
    if (optStage != s) {
      opt = config.stage(s).optimizer().create();
      optStage = s;
    }
    int[] rows = record.batchView(k);
    Batch b = data.get(s).batch(rows);
    Tensor x = b.x();
    if (!device.isCpu()) {
      try (var off = GradMode.off()) {
        x = x.to(device);
      }
    }
    Tensor out = model.forward(x);
    Tensor j;
    if (weights[s] == null) {
      j = loss.mean(out, b.y());
    } else {
      double[] w = new double[rows.length];
      for (int i = 0; i < rows.length; i++) w[i] = weights[s][rows[i]];
      j = loss.weightedMean(out, b.y(), w);
    }
    double value = j.item();
    if (!Double.isFinite(value)) throw diverged(k, value);
    List<Tensor> grads = Autograd.grad(j, values);
    opt.step(params, grads, record.lr(k));
    return value;
  }

  /** Checks that the parameters are finite (after the last step no loss shows it). */
  void checkFinite(int steps) {
    for (Parameter p : params) {
      for (double v : p.value().toDoubleArray()) {
        if (!Double.isFinite(v)) {
          throw new DivergenceException(steps, v, "training diverged: parameter '" + p.name() + "' is " + v + " after " + steps + " steps (the last update)");
        }
      }
    }
  }

  private DivergenceException diverged(int k, double value) {
    int s = record.stageOf(k);
    int stageSteps = record.stageEnd(s) - record.stageStart(s);
    int perEpoch = stageSteps / config.stage(s).epochs();
    int rel = k - record.stageStart(s);
    return new DivergenceException(k, value, "training diverged at step " + k + " (stage '" + config.stage(s).name() + "', epoch " + rel / perEpoch
        + ", batch " + rel % perEpoch + " of the epoch, learning rate " + record.lr(k) + "): the loss is " + value);
  }
}
