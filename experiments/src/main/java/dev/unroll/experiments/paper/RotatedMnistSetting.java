package dev.unroll.experiments.paper;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Margin;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.DataSets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.nn.data.Rotation;
import dev.unroll.nn.data.Splits;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.Keep;
import dev.unroll.optim.train.ModelSpec;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.StageSpec;
import dev.unroll.optim.train.TrainResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rotated MNIST as continual learning: stage s trains on {@code perStage} MNIST training images
 * (disjoint samples) rotated by {@code angles[s]}, starting from the previous stage's parameters with
 * a fresh SGD optimizer. The training set whose points are attributed is the union of the stages'
 * examples (stage s's rows are the block s·perStage ... (s+1)·perStage − 1); an example scores 0 in
 * the stages it is not part of, and a counterfactual retrain removes it from every stage it is in.
 * Queries: MNIST test images, query i rotated by angles[i mod S], so the LDS is reported overall and
 * over the queries of each stage's angle (how well each method attributes what the network still
 * does on earlier stages' distributions as well as on the last).
 *
 * <p>Recipe: MLP 784-256-128-10 (ReLU), float32, cross-entropy, SGD lr 1e-2, momentum 0.9, weight
 * decay 1e-4, batch 64, 3 epochs per stage, 6 checkpoints in 3 segments per stage; angles 0°, 30°, 60°.
 * Methods: exact unrolling across the stages ({@link ExactAcrossStages}) as the reference, and the
 * catalog (TRAK beyond quick scale).
 */
public final class RotatedMnistSetting implements Setting {
  static final double[] ANGLES = {0, 30, 60};

  private final Recipe recipe;
  private final String dataFolder;
  private final double[] angles;
  private final boolean exact;

  RotatedMnistSetting(Recipe recipe, String dataFolder, double[] angles, boolean exact) {
    this.recipe = recipe;
    this.dataFolder = dataFolder;
    this.angles = angles.clone();
    this.exact = exact;
  }

  /** The setting; {@code perStage} (training examples per stage) and {@code epochs} (per stage) override the recipe's when positive. */
  public static RotatedMnistSetting of(String dataFolder, int perStage, int epochs) {
    Recipe r = Recipe.rotatedMnist();
    if (perStage > 0) r = r.withTrainSize(perStage);
    if (epochs > 0) r = r.withEpochs(epochs);
    return new RotatedMnistSetting(r, dataFolder, ANGLES, true);
  }

  @Override
  public String name() {
    return "rotated-mnist";
  }

  @Override
  public Recipe recipe() {
    return recipe;
  }

  @Override
  public Data data() {
    var mnist = DataSets.locate(dataFolder).mnist();
    int s = angles.length, n = recipe.trainSize();
    // One seeded sample split into S disjoint blocks: the stages share no image.
    Dataset pool = Splits.sample(mnist.train(), s * n, 0);
    List<Dataset> blocks = new ArrayList<>();
    for (int k = 0; k < s; k++) blocks.add(Rotation.rotated(pool.subset(range(k * n, n)), angles[k]));
    Dataset train = concat(blocks).flattenInputs().withName("rotated-mnist-train");
    Dataset q = Splits.sample(mnist.test(), recipe.querySize(), 1);
    List<Dataset> rotated = new ArrayList<>();
    for (double a : angles) rotated.add(Rotation.rotated(q, a));
    // Query i from copy i mod S: interleaved, so cutting the queries to the first Q keeps every angle.
    int[] pick = new int[q.size()];
    for (int i = 0; i < pick.length; i++) pick[i] = (i % s) * q.size() + i;
    Dataset queries = concat(rotated).subset(pick).flattenInputs().withName("rotated-mnist-queries");
    List<QueryGroup> groups = new ArrayList<>();
    for (int k = 0; k < s; k++) {
      final int kk = k;
      groups.add(new QueryGroup("queries at " + fmt(angles[k]) + "°", java.util.stream.IntStream.range(0, pick.length).filter(i -> i % s == kk).toArray()));
    }
    return new Data(train, materialise(queries), groups);
  }

  @Override
  public RunConfig config(Data data, long seed) {
    List<StageSpec> stages = new ArrayList<>();
    int n = recipe.trainSize();
    for (int k = 0; k < angles.length; k++) {
      stages.add(StageSpec.of("rotated " + fmt(angles[k]), DataSpec.subset(data.train().name(), range(k * n, n)), OptimizerSpec.sgd(recipe.momentum(), recipe.weightDecay(), false),
          LrSchedule.constant(recipe.lr()), recipe.batchSize(), recipe.epochs()).withCheckpoints(6, 3));
    }
    return RunConfig.of(ModelSpec.mlp(Activation.RELU, recipe.widths()), "cross_entropy", DType.F32, seed, stages);
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
    return "MLP " + Arrays.toString(recipe.widths()) + ", ReLU";
  }

  @Override
  public String optimizerText(TrainResult base) {
    return "per stage: SGD lr " + recipe.lr() + ", momentum " + recipe.momentum() + ", weight decay " + recipe.weightDecay() + ", batch " + recipe.batchSize() + ", " + recipe.epochs()
        + " epochs; fresh optimizer at each stage (" + base.record().totalSteps() + " steps in all)";
  }

  @Override
  public void describe(dev.unroll.experiments.report.Report report) {
    StringBuilder b = new StringBuilder();
    for (int k = 0; k < angles.length; k++) b.append(k == 0 ? "" : ", ").append(fmt(angles[k])).append("°");
    report.setting("stages", angles.length + " (rotation " + b + "), " + recipe.trainSize() + " distinct MNIST training images each; scores cover the union")
        .setting("query groups", "query i rotated by the angle of stage i mod " + angles.length);
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
    List<MethodRun> m = new ArrayList<>();
    if (exact) m.add(ExactAcrossStages.method(threads));
    m.addAll(MethodCatalog.all(false, threads, source, !scale.name().equals("quick")));
    return m;
  }

  static int[] range(int from, int count) {
    int[] r = new int[count];
    for (int i = 0; i < count; i++) r[i] = from + i;
    return r;
  }

  private static String fmt(double a) {
    return a == Math.rint(a) ? Long.toString((long) a) : Double.toString(a);
  }

  /** The examples of {@code parts} one after another, in a fresh data set (inputs copied, class targets). */
  static Dataset concat(List<Dataset> parts) {
    Tensor[] xs = new Tensor[parts.size()];
    int total = 0;
    for (int i = 0; i < xs.length; i++) {
      xs[i] = parts.get(i).x();
      total += parts.get(i).size();
    }
    int[] labels = new int[total];
    int at = 0;
    for (Dataset d : parts) {
      int[] l = d.labels();
      System.arraycopy(l, 0, labels, at, l.length);
      at += l.length;
    }
    Tensor x;
    try (var g = dev.unroll.autodiff.GradMode.off()) {
      x = Ops.concat(0, xs).contiguous();
    }
    return new Dataset(parts.get(0).name(), x, new Targets.Classes(labels, parts.get(0).numClasses()));
  }

  /** A subset view copied into its own storage (the queries are small; a view of the S rotated copies would keep them all). */
  private static Dataset materialise(Dataset d) {
    return new Dataset(d.name(), d.x().contiguous(), new Targets.Classes(d.labels(), d.numClasses()));
  }
}
