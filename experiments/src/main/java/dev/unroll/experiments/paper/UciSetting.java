package dev.unroll.experiments.paper;

import dev.unroll.autodiff.DType;
import dev.unroll.experiments.eval.Evaluations;
import dev.unroll.nn.AbsoluteError;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.data.DataSets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.nn.data.Splits;
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
import java.util.Arrays;
import java.util.List;

/**
 * The UCI regression settings (Concrete, Concrete stopped early, Parkinsons telemonitoring), and a
 * user's CSV ({@link CsvSetting}): the recipe's MLP trained in float64 with MSE, one stage recorded
 * with 6 checkpoints in 3 segments; measurement the absolute error of the standardised target.
 * Methods: the whole catalog with exact unrolling, plus SOURCE and EK-FAC ensembles over
 * {@value #ENSEMBLE} seeds.
 */
public class UciSetting implements Setting {
  /** Members of the ensemble methods. */
  public static final int ENSEMBLE = 4;

  /** Training steps above which the quick evaluations are the lighter plan. */
  static final int LIGHT_STEPS = 1000;

  private final String task;
  private final Recipe recipe;
  private final String dataFolder;

  public UciSetting(String task, Recipe recipe, String dataFolder) {
    this.task = task;
    this.recipe = recipe;
    this.dataFolder = dataFolder;
  }

  /** The named UCI setting; {@code trainSize} and {@code epochs} override the recipe's when positive. */
  public static UciSetting of(String task, String dataFolder, int trainSize, int epochs) {
    Recipe r = switch (task) {
      case "concrete" -> Recipe.concrete();
      case "concrete-early" -> Recipe.concreteEarly();
      case "parkinsons" -> Recipe.parkinsons(19);
      default -> throw new IllegalArgumentException("unknown UCI experiment " + task);
    };
    if (trainSize > 0) r = r.withTrainSize(trainSize);
    if (epochs > 0) r = r.withEpochs(epochs);
    return new UciSetting(task, r, dataFolder);
  }

  @Override
  public String name() {
    return task;
  }

  @Override
  public TaskSpec taskSpec() {
    return TaskSpec.of(task, recipe);
  }

  @Override
  public Recipe recipe() {
    return recipe;
  }

  /** The full data set before the split (Concrete ships inside the project; Parkinsons needs the data folder). */
  protected Dataset full() {
    return task.startsWith("concrete") ? DataSets.concrete() : DataSets.locate(dataFolder).parkinsons();
  }

  /** Inputs and targets standardised with the training split's statistics (method.md §7); split seed 0. */
  @Override
  public Data data() {
    Dataset full = full();
    if (recipe.widths()[0] != full.inputSize()) throw new IllegalArgumentException(task + ": the recipe's MLP takes " + recipe.widths()[0] + " inputs, the data has " + full.inputSize());
    TrainTest tt = Splits.split(full, recipe.trainSize(), recipe.querySize(), 0);
    Standardizer sx = Standardizer.fitInputs(tt.train()), sy = Standardizer.fitTargets(tt.train());
    Dataset train = sy.transformTargets(sx.transformInputs(tt.train())).to(DType.F64).withName(task + "-train");
    Dataset test = sy.transformTargets(sx.transformInputs(tt.test())).to(DType.F64).withName(task + "-queries");
    return new Data(train, test);
  }

  @Override
  public RunConfig config(Data data, long seed) {
    StageSpec stage = StageSpec.of("train", DataSpec.all(data.train().name()), OptimizerSpec.sgd(recipe.momentum(), recipe.weightDecay(), false), LrSchedule.constant(recipe.lr()), recipe.batchSize(), recipe.epochs())
        .withCheckpoints(6, 3);
    return RunConfig.of(ModelSpec.mlp(Activation.RELU, recipe.widths()), "mse", DType.F64, seed, stage);
  }

  @Override
  public Measurement measurement() {
    return new AbsoluteError();
  }

  @Override
  public String measurementText() {
    return "absolute error of the standardised target";
  }

  @Override
  public String modelText() {
    return "MLP " + Arrays.toString(recipe.widths()) + ", ReLU";
  }

  /** Optimizer steps of the recorded run. */
  private long steps() {
    return (long) recipe.stepsPerEpoch(recipe.trainSize()) * recipe.epochs();
  }

  /**
   * Runs of more than {@value #LIGHT_STEPS} steps (Parkinsons: 3300; Concrete: 560) get
   * {@link Evaluations.Plan#quickLight}: their retrains take seconds, not fractions of one.
   */
  @Override
  public Evaluations.Plan quickEvaluations() {
    return steps() > LIGHT_STEPS ? Evaluations.Plan.quickLight() : Evaluations.Plan.quick();
  }

  /** Every step in memory while that stays small (exact unrolling reads them); checkpoints and replay beyond. */
  @Override
  public Keep keep() {
    long steps = steps();
    return steps <= 2000 ? Keep.ALL_STEPS : Keep.CHECKPOINTS;
  }

  @Override
  public List<MethodRun> methods(int threads, DataSource source, Scale scale) {
    List<MethodRun> m = new java.util.ArrayList<>(MethodCatalog.all(true, threads, source));
    m.add(EnsembleMethods.source(ENSEMBLE));
    m.add(EnsembleMethods.ekfac(ENSEMBLE));
    return m;
  }
}
