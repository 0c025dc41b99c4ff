package dev.unroll.experiments.paper;

import dev.unroll.autodiff.DType;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Margin;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.data.DataSets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.nn.data.LabelNoise;
import dev.unroll.nn.data.Splits;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.Keep;
import dev.unroll.optim.train.ModelSpec;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.StageSpec;
import java.util.Arrays;
import java.util.List;

/**
 * FashionMNIST settings: {@code fashion-mnist} and {@code fashion-mnist-n} (MLP on flattened
 * images) and {@code cnn} (a small convolutional network on [1, 28, 28] images, so that the
 * curvature methods' Conv2d factors are exercised). Float32, cross-entropy, one stage recorded with
 * 6 checkpoints in 3 segments; measurement the margin of the true class. Methods: the catalog,
 * with exact unrolling where {@link #exactUnrolling} says; TRAK only beyond quick scale (its
 * projections dominate quick runs).
 */
public final class ImageSetting implements Setting {
  /** The CNN: Conv(1→8) and Conv(8→16), 3×3, each with ReLU and 2×2 max pooling, then Linear(784→64), ReLU, Linear(64→10). */
  static final ModelSpec CNN = ModelSpec.cnn(Activation.RELU, new int[] {1, 28, 28}, new int[] {8, 16}, 64, 10);

  private final String task;
  private final Recipe recipe;
  private final String dataFolder;

  private ImageSetting(String task, Recipe recipe, String dataFolder) {
    this.task = task;
    this.recipe = recipe;
    this.dataFolder = dataFolder;
  }

  /** The named setting; {@code trainSize} and {@code epochs} override the recipe's when positive. */
  public static ImageSetting of(String task, String dataFolder, int trainSize, int epochs) {
    Recipe r = switch (task) {
      case "fashion-mnist" -> Recipe.fashionMnist();
      case "fashion-mnist-n" -> Recipe.fashionMnistN();
      case "cnn" -> Recipe.cnnFashion();
      default -> throw new IllegalArgumentException("unknown image experiment " + task);
    };
    if (trainSize > 0) r = r.withTrainSize(trainSize);
    if (epochs > 0) r = r.withEpochs(epochs);
    return new ImageSetting(task, r, dataFolder);
  }

  private boolean cnn() {
    return task.equals("cnn");
  }

  @Override
  public String name() {
    return task;
  }

  @Override
  public Recipe recipe() {
    return recipe;
  }

  /** The MLP settings' data and measurement (the CNN's unflattened images are not a {@link TaskSpec}). */
  @Override
  public TaskSpec taskSpec() {
    return cnn() ? null : TaskSpec.of(task, recipe);
  }

  /**
   * A seeded sample (seed 0) of {@code trainSize} training images; FashionMNIST-N: the same sample
   * with 30% of its labels randomised (seeded, each to another class). The noise is drawn after
   * sampling and from its own seed: drawing both from one seed would pick the sample among the
   * corrupted rows and leave no clean label. Queries: a seeded sample (seed 1) of the test set.
   * Images in [0, 1], flattened to 784 inputs for the MLPs, [1, 28, 28] for the CNN.
   */
  @Override
  public Data data() {
    DataSets sets = DataSets.locate(dataFolder);
    Dataset train = Splits.sample(sets.fashionMnist().train(), recipe.trainSize(), 0);
    if (task.equals("fashion-mnist-n")) train = LabelNoise.randomize(train, DataSets.FASHION_N_FRACTION, 7919).data();
    Dataset test = Splits.sample(sets.fashionMnist().test(), recipe.querySize(), 1);
    if (!cnn()) {
      train = train.flattenInputs();
      test = test.flattenInputs();
    }
    return new Data(train.withName(task + "-train"), test.withName(task + "-queries"));
  }

  /** FashionMNIST-N: the rows of the training sample whose label {@link #data()} randomised. */
  @Override
  public int[] corrupted() {
    if (!task.equals("fashion-mnist-n")) return null;
    Dataset train = Splits.sample(DataSets.locate(dataFolder).fashionMnist().train(), recipe.trainSize(), 0);
    return LabelNoise.randomize(train, DataSets.FASHION_N_FRACTION, 7919).corrupted();
  }

  @Override
  public RunConfig config(Data data, long seed) {
    StageSpec stage = StageSpec.of("train", DataSpec.all(data.train().name()), OptimizerSpec.sgd(recipe.momentum(), recipe.weightDecay(), false), LrSchedule.constant(recipe.lr()), recipe.batchSize(), recipe.epochs())
        .withCheckpoints(6, 3);
    return RunConfig.of(cnn() ? CNN : ModelSpec.mlp(Activation.RELU, recipe.widths()), "cross_entropy", DType.F32, seed, stage);
  }

  @Override
  public Measurement measurement() {
    return new Margin();
  }

  @Override
  public String measurementText() {
    return "margin of the true class";
  }

  @Override
  public String modelText() {
    return cnn() ? "CNN: conv 3x3 1->8, ReLU, maxpool 2; conv 3x3 8->16, ReLU, maxpool 2; linear 784->64, ReLU; linear 64->10" : "MLP " + Arrays.toString(recipe.widths()) + ", ReLU";
  }

  @Override
  public boolean image() {
    return true;
  }

  @Override
  public Keep keep() {
    return Keep.CHECKPOINTS;
  }

  @Override
  public List<MethodRun> methods(int threads, DataSource source, Scale scale) {
    return MethodCatalog.all(exactUnrolling(scale), threads, source, !scale.name().equals("quick"));
  }

  /**
   * Exact unrolling costs about half a training run per query on the MLPs (float32 sweep, measured on
   * FashionMNIST-N): included at paper scale, where it is small beside the retraining, and for short
   * runs (≤ 3 epochs, as FashionMNIST-N) at any scale; not for the CNN (untimed).
   */
  boolean exactUnrolling(Scale scale) {
    return !cnn() && (scale.name().equals("paper") || recipe.epochs() <= 3);
  }
}
