package dev.unroll.tda.source;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.Keep;
import dev.unroll.optim.train.ModelSpec;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.StageSpec;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.Trainer;
import dev.unroll.optim.train.Trajectory;
import dev.unroll.tda.AttributionTask;
import java.util.List;

/** Small recorded runs (the trainer's) for the SOURCE and TracIn tests, float64. */
final class Runs {
  private Runs() {}

  /** n examples [n, d], target sin(x₀) + 0.5·x₁·x₂ + noise. */
  static Dataset data(String name, int n, int d, long seed) {
    Rng r = new Rng(seed);
    double[] x = new double[n * d], y = new double[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) x[i * d + j] = r.normal();
      y[i] = Math.sin(x[i * d]) + 0.5 * x[i * d + 1 % d] * x[i * d + 2 % d] + 0.1 * r.normal();
    }
    return new Dataset(name, Tensor.of(x, n, d), new Targets.Regression(Tensor.of(y, n, 1)));
  }

  static final int[] STAGE_A = {0, 1, 2, 3, 4, 5, 6};
  static final int[] STAGE_B = {3, 4, 5, 6, 7, 8, 9, 10};

  /** A recorded run and the task scoring all of "d". */
  record Run(Trajectory trajectory, AttributionTask task) {
    SourceInputs inputs() {
      return SourceInputs.of(trajectory, task);
    }
  }

  /**
   * Two stages on overlapping subsets of one 11-example set "d" (examples 0-2 only in stage a, 7-10
   * only in stage b), tanh MLP 2-3-1: stage a SGD (momentum {@code momentumA}) η = 0.2, batches of
   * 3, 4 epochs; stage b SGD with weight decay 0.01, η = 0.1 then halved every 5 steps, batches of 3,
   * 4 epochs; each stage 4 checkpoints in 2 segments.
   */
  static Run twoStage(double momentumA) {
    Dataset d = data("d", 11, 2, 21);
    StageSpec a = new StageSpec("a", DataSpec.subset("d", STAGE_A), OptimizerSpec.sgd(momentumA, 0, false), LrSchedule.constant(0.2), 3, 4, false, 4, 2, null, null);
    StageSpec b = new StageSpec("b", DataSpec.subset("d", STAGE_B), OptimizerSpec.sgd(0, 0.01, false), LrSchedule.step(0.1, 0.5, 5), 3, 4, false, 4, 2, null, null);
    return run(RunConfig.of(ModelSpec.mlp(Activation.TANH, 2, 3, 1), "mse", DType.F64, 4, List.of(a, b)), d);
  }

  /** One stage of Adam (or AdamW) on all of an 9-example set, batches of 3, 5 epochs, 4 checkpoints in 2 segments. */
  static Run adam(boolean decoupled, double weightDecay) {
    Dataset d = data("d", 9, 2, 22);
    OptimizerSpec opt = decoupled ? OptimizerSpec.adamW(0.9, 0.99, 1e-8, weightDecay) : OptimizerSpec.adam(0.9, 0.99, 1e-8, weightDecay);
    StageSpec s = new StageSpec("adam", DataSpec.all("d"), opt, LrSchedule.constant(0.02), 3, 5, false, 4, 2, null, null);
    return run(RunConfig.of(ModelSpec.mlp(Activation.TANH, 2, 3, 1), "mse", DType.F64, 6, s), d);
  }

  static Run run(RunConfig c, Dataset d) {
    Trajectory t = Trainer.train(c, DataSource.of(d), TrainOptions.inMemory().keep(Keep.CHECKPOINTS)).trajectory();
    Dataset queries = data("q", 3, 2, 99);
    return new Run(t, new AttributionTask(t.newModel(), new MseLoss(), Measurement.absoluteError(), d, queries));
  }
}
