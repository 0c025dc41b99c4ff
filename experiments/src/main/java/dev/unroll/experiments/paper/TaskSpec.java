package dev.unroll.experiments.paper;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.io.AtomicFiles;
import dev.unroll.autodiff.io.CorruptFileException;
import dev.unroll.nn.AbsoluteError;
import dev.unroll.nn.Margin;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.data.DataSets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.nn.data.LabelNoise;
import dev.unroll.nn.data.Splits;
import dev.unroll.nn.data.Standardizer;
import dev.unroll.nn.data.TrainTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Which data a recorded run trained on and what its queries measure: what a run directory's
 * config.json does not say (it names data sets, it does not hold them). The experiments store it
 * as {@value #FILE} in the run directory, so that {@code ./unroll score} can rebuild the training
 * set and the held-out queries; the run's recorded data fingerprints then confirm the rebuild.
 *
 * <p>Data: {@code concrete} (shipped) and {@code parkinsons} are split at random (seed
 * {@code splitSeed}) into {@code trainSize} training and {@code querySize} held-out rows, inputs
 * and target standardised with the training part's mean and standard deviation, float64.
 * {@code fashion-mnist} samples {@code trainSize} training images (seed {@code splitSeed}) and
 * {@code querySize} test images (seed {@code splitSeed + 1}), flattened to 784 values in [0, 1];
 * {@code fashion-mnist-n} additionally randomises 30% of the sampled training labels (seed 7919).
 *
 * @param name prefix of the data set names in the run's configuration ({@code NAME-train},
 *     {@code NAME-queries})
 * @param data concrete, parkinsons, fashion-mnist or fashion-mnist-n
 * @param trainSize training examples
 * @param querySize held-out query examples
 * @param splitSeed seed of the split or sample
 * @param measurement {@code absolute-error} (regression) or {@code margin} (classification)
 */
public record TaskSpec(String name, String data, int trainSize, int querySize, long splitSeed, String measurement) {
  /** The file name inside a run directory. */
  public static final String FILE = "task.json";
  /** The data names understood. */
  public static final List<String> DATA = List.of("concrete", "parkinsons", "fashion-mnist", "fashion-mnist-n");
  static final String FORMAT = "unroll-task/1";
  /** Seed of FashionMNIST-N's label noise (drawn after sampling, from its own seed). */
  static final long NOISE_SEED = 7919;

  public TaskSpec {
    if (name == null || name.isBlank()) throw new IllegalArgumentException("task: a name is needed");
    if (!DATA.contains(data)) throw new IllegalArgumentException("task '" + name + "': data must be one of " + DATA + ", got '" + data + "'");
    if (trainSize < 1 || querySize < 1) throw new IllegalArgumentException("task '" + name + "': sizes must be positive, got " + trainSize + " training and " + querySize + " queries");
    if (!"absolute-error".equals(measurement) && !"margin".equals(measurement)) {
      throw new IllegalArgumentException("task '" + name + "': measurement must be absolute-error or margin, got '" + measurement + "'");
    }
  }

  /** The task of an experiment ({@code concrete}, {@code concrete-early}, {@code fashion-mnist}, {@code fashion-mnist-n}, {@code parkinsons}) with its recipe's sizes. */
  public static TaskSpec of(String experiment, Recipe r) {
    String data = experiment.startsWith("concrete") ? "concrete" : experiment;
    boolean image = data.startsWith("fashion");
    return new TaskSpec(experiment, data, r.trainSize(), r.querySize(), 0, image ? "margin" : "absolute-error");
  }

  /** The task of a named experiment at its recipe's sizes (for runs recorded without {@value #FILE}). */
  public static TaskSpec ofExperiment(String experiment) {
    Recipe r = switch (experiment) {
      case "concrete" -> Recipe.concrete();
      case "concrete-early" -> Recipe.concreteEarly();
      case "fashion-mnist" -> Recipe.fashionMnist();
      case "fashion-mnist-n" -> Recipe.fashionMnistN();
      default -> throw new IllegalArgumentException("unknown experiment '" + experiment + "': expected concrete, concrete-early, fashion-mnist or fashion-mnist-n");
    };
    return of(experiment, r);
  }

  public boolean isImage() {
    return data.startsWith("fashion");
  }

  /** f of the queries: the absolute error of the standardised target, or the margin of the true class. */
  public Measurement measurementFunction() {
    return isImage() ? new Margin() : new AbsoluteError();
  }

  /**
   * The rebuilt data: the training set and the held-out queries under the names the run's
   * configuration uses, and the map that brings rows in the data set's own units (raw Concrete
   * columns, pixel values in [0, 1]) into the model's units.
   */
  public record Data(Dataset train, Dataset queries, UnaryOperator<Dataset> prepare) {}

  /** Builds the data ({@code dataFolder}: the data folder option, null to search the defaults; Concrete needs none). */
  public Data build(String dataFolder) {
    if (isImage()) {
      DataSets sets = DataSets.locate(dataFolder);
      Dataset train = Splits.sample(sets.fashionMnist().train(), trainSize, splitSeed);
      if (data.equals("fashion-mnist-n")) train = LabelNoise.randomize(train, DataSets.FASHION_N_FRACTION, NOISE_SEED).data();
      train = train.flattenInputs().withName(name + "-train");
      Dataset test = Splits.sample(sets.fashionMnist().test(), querySize, splitSeed + 1).flattenInputs().withName(name + "-queries");
      return new Data(train, test, d -> d.flattenInputs());
    }
    Dataset full = data.equals("concrete") ? DataSets.concrete() : DataSets.locate(dataFolder).parkinsons();
    TrainTest tt = Splits.split(full, trainSize, querySize, splitSeed);
    Standardizer sx = Standardizer.fitInputs(tt.train()), sy = Standardizer.fitTargets(tt.train());
    UnaryOperator<Dataset> prepare = d -> sy.transformTargets(sx.transformInputs(d)).to(DType.F64);
    return new Data(prepare.apply(tt.train()).withName(name + "-train"), prepare.apply(tt.test()).withName(name + "-queries"), prepare);
  }

  private record Stored(String format, String name, String data, int train_size, int query_size, long split_seed, String measurement) {}

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

  /** Writes {@code dir/task.json}. */
  public void save(Path dir) {
    AtomicFiles.writeString(dir.resolve(FILE), GSON.toJson(new Stored(FORMAT, name, data, trainSize, querySize, splitSeed, measurement)) + "\n");
  }

  /** Whether {@code dir} holds a {@value #FILE}. */
  public static boolean exists(Path dir) {
    return Files.isRegularFile(dir.resolve(FILE));
  }

  /**
   * Reads {@code dir/task.json}.
   *
   * @throws CorruptFileException naming the file when it is not a task description
   */
  public static TaskSpec load(Path dir) {
    Path f = dir.resolve(FILE);
    Stored s;
    try {
      s = GSON.fromJson(Files.readString(f), Stored.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
    } catch (JsonParseException e) {
      throw new CorruptFileException(f, "not valid JSON: " + e.getMessage(), e);
    }
    if (s == null || !FORMAT.equals(s.format())) throw new CorruptFileException(f, "not a task description of format " + FORMAT);
    try {
      return new TaskSpec(s.name(), s.data(), s.train_size(), s.query_size(), s.split_seed(), s.measurement());
    } catch (IllegalArgumentException e) {
      throw new CorruptFileException(f, e.getMessage(), e);
    }
  }
}
