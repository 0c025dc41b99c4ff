package dev.unroll.optim.train;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import java.util.List;

/** Small synthetic data sets and run configurations for the trainer tests. */
final class Toy {
  private Toy() {}

  /** n examples, inputs [n, d] ~ N(0, 1), one regression target y = sin(x₀) + 0.5·x₁·x₂ + noise. */
  static Dataset regression(String name, int n, int d, long seed) {
    Rng rng = new Rng(seed);
    double[] x = new double[n * d], y = new double[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) x[i * d + j] = rng.normal();
      y[i] = Math.sin(x[i * d]) + 0.5 * x[i * d + 1 % d] * x[i * d + 2 % d] + 0.1 * rng.normal();
    }
    return new Dataset(name, Tensor.of(x, n, d), new Targets.Regression(Tensor.of(y, n, 1)));
  }

  /** n images [1, 8, 8] with 3 classes by which third of the image is brightest. */
  static Dataset images(String name, int n, long seed) {
    Rng rng = new Rng(seed);
    float[] x = new float[n * 64];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = rng.nextInt(3);
      for (int p = 0; p < 64; p++) x[i * 64 + p] = (float) (0.3 * rng.normal() + ((p % 8) / 3 == labels[i] ? 1 : 0));
    }
    return new Dataset(name, Tensor.of(x, n, 1, 8, 8), new Targets.Classes(labels, 3));
  }

  /** MLP 3-6-5-1 tanh on "a" (SGD momentum 0.9, wd 1e-3), then "b" (SGD momentum 0.5, step schedule), float64. */
  static RunConfig twoStage(long seed) {
    StageSpec s1 = new StageSpec("pretrain", DataSpec.all("a"), OptimizerSpec.sgd(0.9, 1e-3, false), LrSchedule.constant(0.05), 5, 3, false, 4, 2, null, null);
    StageSpec s2 = new StageSpec("finetune", DataSpec.all("b"), OptimizerSpec.sgd(0.5, 1e-2, false), LrSchedule.step(0.03, 0.5, 4), 4, 2, false, 2, 1, null, null);
    return RunConfig.of(dev.unroll.optim.train.ModelSpec.mlp(Activation.TANH, 3, 6, 5, 1), "mse", DType.F64, seed, List.of(s1, s2));
  }

  static DataSource twoStageData() {
    return DataSource.of(regression("a", 18, 3, 11), regression("b", 10, 3, 12));
  }
}
