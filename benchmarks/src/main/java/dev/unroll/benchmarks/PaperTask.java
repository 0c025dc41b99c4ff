package dev.unroll.benchmarks;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.experiments.paper.Recipe;
import dev.unroll.nn.Activation;
import dev.unroll.nn.LossMeasurement;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.DataSets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.nn.data.Standardizer;
import dev.unroll.nn.data.TrainTest;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.Keep;
import dev.unroll.optim.train.ModelSpec;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.StageSpec;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.optim.train.Trainer;
import dev.unroll.tda.AttributionTask;

/**
 * One of the paper's tasks as the benchmarks run it (docs/method.md §7, {@link Recipe}): the
 * training set and queries, and a full training run by the project's {@link Trainer} (in memory,
 * keeping the checkpoints SOURCE uses). Concrete: 896 training and 103 query examples, inputs and
 * targets standardised on the training set, MLP 8-128-128-128-1 under squared error.
 * FashionMNIST-N: 6144 training and 100 query examples of Fashion-MNIST with 30% of the training
 * labels randomised, MLP 784-512-256-128-10 under cross-entropy. Where the data folder lacks
 * Fashion-MNIST, inputs and labels of the same shapes are drawn at random: a run's cost does not
 * depend on the values.
 */
public final class PaperTask {
  private final Recipe recipe;
  private final Dataset train, queries;
  private final String loss;
  private final boolean synthetic;

  private PaperTask(Recipe recipe, Dataset train, Dataset queries, String loss, boolean synthetic) {
    this.recipe = recipe;
    this.train = train;
    this.queries = queries;
    this.loss = loss;
    this.synthetic = synthetic;
  }

  /** The task called {@code name} ("concrete" or "fashion-mnist-n") in {@code dtype}. */
  public static PaperTask of(String name, DType dtype) {
    return switch (name) {
      case "concrete" -> {
        Recipe r = Recipe.concrete();
        TrainTest tt = DataSets.split(DataSets.concrete(), r.trainSize(), r.querySize(), 0);
        Standardizer in = Standardizer.fitInputs(tt.train()), out = Standardizer.fitTargets(tt.train());
        Dataset train = out.transformTargets(in.transformInputs(tt.train())).to(dtype).withName("concrete-train");
        Dataset queries = out.transformTargets(in.transformInputs(tt.test())).to(dtype).withName("concrete-queries");
        yield new PaperTask(r, train, queries, "mse", false);
      }
      case "fashion-mnist-n" -> {
        Recipe r = Recipe.fashionMnistN();
        Dataset train, queries;
        boolean synthetic = false;
        try {
          DataSets sets = DataSets.locate(null);
          train = DataSets.sample(sets.fashionMnistN(DataSets.FASHION_N_FRACTION, DataSets.FASHION_N_SEED).data(), r.trainSize(), 0).flattenInputs();
          queries = DataSets.sample(sets.fashionMnist().test(), r.querySize(), 0).flattenInputs();
        } catch (RuntimeException e) {
          System.err.println("PaperTask: Fashion-MNIST not available (" + e.getMessage() + "); timing on random data of the same shapes");
          Rng rng = new Rng(0);
          train = random("train", rng, r.trainSize());
          queries = random("queries", rng, r.querySize());
          synthetic = true;
        }
        yield new PaperTask(r, train.to(dtype).withName("fashion-mnist-n-train"), queries.to(dtype).withName("fashion-mnist-n-queries"), "cross_entropy", synthetic);
      }
      default -> throw new IllegalArgumentException("task '" + name + "': expected concrete or fashion-mnist-n");
    };
  }

  private static Dataset random(String name, Rng rng, int n) {
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) labels[i] = rng.nextInt(10);
    return new Dataset(name, Tensor.uniform(rng, DType.F32, 0, 1, n, 784), new Targets.Classes(labels, 10));
  }

  public Recipe recipe() { return recipe; }

  public Dataset train() { return train; }

  public Dataset queries() { return queries; }

  /** True when the data were drawn at random because the data set was not found. */
  public boolean synthetic() { return synthetic; }

  /** The recipe as a run configuration with initialisation and batch-order seed {@code seed}. */
  public RunConfig config(long seed) {
    StageSpec stage = StageSpec.of("train", DataSpec.all(train.name()),
        OptimizerSpec.sgd(recipe.momentum(), recipe.weightDecay(), false), LrSchedule.constant(recipe.lr()),
        recipe.batchSize(), recipe.epochs());
    return RunConfig.of(ModelSpec.mlp(Activation.RELU, recipe.widths()), loss, train.dtype(), seed, stage);
  }

  /** One full training run from seed {@code seed}, in memory, keeping the checkpoints. */
  public TrainResult train(long seed) {
    return Trainer.train(config(seed), DataSource.of(train), TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
  }

  /** The attribution task of a trained model: training loss, the queries' loss as the measurement. */
  public AttributionTask attributionTask(TrainResult trained) {
    var l = config(0).lossFunction();
    return new AttributionTask(trained.model(), l, new LossMeasurement(l), train, queries);
  }
}
