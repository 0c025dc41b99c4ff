package dev.unroll.nn.data;

import dev.unroll.autodiff.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The named data sets of the experiments, read from a data folder laid out as the project's shared
 * data folder (one sub-folder per set, each with a SOURCE.txt): {@code concrete/},
 * {@code parkinsons_telemonitoring/}, {@code mnist/}, {@code fashion_mnist/}, {@code digits/},
 * {@code iris/}, {@code wine/}, and where present {@code breast_cancer/} and {@code diabetes/}.
 * UCI Concrete is also shipped inside this module and needs no folder.
 *
 * <p>Tabular sets load as float64 with inputs [N, F]; image sets as float32 with inputs [N, 1, 28, 28]
 * (flatten with {@link Dataset#flattenInputs()}). Nothing here standardises: fit a
 * {@link Standardizer} on the training part.
 */
public final class DataSets {
  /** Environment variable naming the data folder. */
  public static final String ENV = "UNROLL_DATA";

  /** Names accepted by {@link #get(String)}. */
  public static final List<String> NAMES = List.of(
      "concrete", "parkinsons", "mnist", "mnist-test", "fashion-mnist", "fashion-mnist-test", "fashion-mnist-n",
      "digits", "iris", "wine", "breast-cancer", "diabetes");

  /** Default fraction and seed of FashionMNIST-N. */
  public static final double FASHION_N_FRACTION = 0.3;
  public static final long FASHION_N_SEED = 0;

  private final Path root;

  public DataSets(Path root) {
    this.root = root;
  }

  /**
   * The data folder: {@code option} when given; else the environment variable {@value #ENV};
   * else {@code ../shared/data} or {@code data} relative to the working directory, the first
   * that is a directory.
   *
   * @throws DataLoadException naming what was tried when no folder is found
   */
  public static DataSets locate(String option) {
    return new DataSets(resolveRoot(option, System.getenv(ENV), Path.of("")));
  }

  static Path resolveRoot(String option, String env, Path workingDir) {
    if (option != null && !option.isBlank()) {
      Path p = Path.of(option);
      if (!Files.isDirectory(p)) throw new DataLoadException(option, "the data folder given as an option is not a directory");
      return p;
    }
    if (env != null && !env.isBlank()) {
      Path p = Path.of(env);
      if (!Files.isDirectory(p)) throw new DataLoadException(env, "the data folder named by " + ENV + " is not a directory");
      return p;
    }
    List<String> tried = new ArrayList<>();
    for (String rel : new String[] {"../shared/data", "data"}) {
      Path p = workingDir.resolve(rel);
      if (Files.isDirectory(p)) return p.normalize();
      tried.add(p.toAbsolutePath().normalize().toString());
    }
    throw new DataLoadException(String.join(", ", tried), "no data folder: give one as an option, set " + ENV + ", or run where ../shared/data or data exists");
  }

  public Path root() {
    return root;
  }

  /** The set called {@code name} (one of {@link #NAMES}). */
  public Dataset get(String name) {
    return switch (name) {
      case "concrete" -> concrete();
      case "parkinsons" -> parkinsons();
      case "mnist" -> mnist().train();
      case "mnist-test" -> mnist().test();
      case "fashion-mnist" -> fashionMnist().train();
      case "fashion-mnist-test" -> fashionMnist().test();
      case "fashion-mnist-n" -> fashionMnistN(FASHION_N_FRACTION, FASHION_N_SEED).data();
      case "digits" -> digits();
      case "iris" -> iris();
      case "wine" -> wine();
      case "breast-cancer" -> breastCancer();
      case "diabetes" -> diabetes();
      default -> throw new IllegalArgumentException("unknown data set '" + name + "' (known: " + String.join(", ", NAMES) + ")");
    };
  }

  private Path file(String folder, String name) {
    Path p = root.resolve(folder).resolve(name);
    if (!Files.isRegularFile(p)) {
      throw new DataLoadException(p.toString(), "not found in the data folder " + root + (Files.isDirectory(root.resolve(folder)) ? "" : " (it has no " + folder + "/ folder)"));
    }
    return p;
  }

  // ------------------------------------------------------------------ regression

  /**
   * UCI Concrete Compressive Strength (Yeh 1998; CC BY 4.0), shipped as a resource of this module:
   * 1030 examples, 8 inputs (kg/m³ of seven ingredients, age in days), target compressive strength in
   * MPa [N, 1]. Citation and licence: concrete.CITATION.txt beside the resource.
   */
  public static Dataset concrete() {
    return CsvLoader.ofResource(DataSets.class, "concrete.csv").name("concrete").target("compressive_strength_mpa").load();
  }

  /**
   * UCI Parkinsons Telemonitoring (Tsanas et al. 2009): 5875 recordings, target total_UPDRS [N, 1];
   * inputs the 19 other columns except subject# (an identifier) and motor_UPDRS (a second score
   * that would leak the target): age, sex, test_time and the 16 voice measures.
   */
  public Dataset parkinsons() {
    return parkinsons("total_UPDRS");
  }

  /** Parkinsons with {@code target} (motor_UPDRS or total_UPDRS); the other score is left out of the inputs. */
  public Dataset parkinsons(String target) {
    String other = switch (target) {
      case "total_UPDRS" -> "motor_UPDRS";
      case "motor_UPDRS" -> "total_UPDRS";
      default -> throw new IllegalArgumentException("Parkinsons target must be motor_UPDRS or total_UPDRS, got '" + target + "'");
    };
    return CsvLoader.of(file("parkinsons_telemonitoring", "parkinsons_updrs.data")).name("parkinsons").target(target).exclude("subject#", other).load();
  }

  /** scikit-learn's diabetes (442 × 10 raw inputs, target [N, 1]), when the folder has diabetes/. */
  public Dataset diabetes() {
    return SklearnCsvLoader.loadDiabetes(file("diabetes", "diabetes_data_raw.csv.gz"), file("diabetes", "diabetes_target.csv.gz"), DType.F64);
  }

  // ------------------------------------------------------------------ classification

  /** MNIST: 60000 training and 10000 test images, [N, 1, 28, 28] in [0, 1], float32, 10 classes. */
  public TrainTest mnist() {
    return idx("mnist", "mnist");
  }

  /** Fashion-MNIST (Zalando, MIT): as {@link #mnist()}. */
  public TrainTest fashionMnist() {
    return idx("fashion_mnist", "fashion-mnist");
  }

  private TrainTest idx(String folder, String name) {
    Dataset train = IdxLoader.load(file(folder, "train-images-idx3-ubyte.gz"), file(folder, "train-labels-idx1-ubyte.gz"), 10, name, DType.F32);
    Dataset test = IdxLoader.load(file(folder, "t10k-images-idx3-ubyte.gz"), file(folder, "t10k-labels-idx1-ubyte.gz"), 10, name + "-test", DType.F32);
    return new TrainTest(train, test);
  }

  /**
   * FashionMNIST-N: the Fashion-MNIST training set with round(fraction · 60000) labels replaced by a
   * label drawn uniformly from the other nine classes ({@link LabelNoise#randomize}); the record
   * says which. The paper's setting is fraction 0.3.
   */
  public NoisyLabels fashionMnistN(double fraction, long seed) {
    return LabelNoise.randomize(fashionMnist().train(), fraction, seed);
  }

  /** scikit-learn's 8×8 digits: 1797 × 64 pixel counts 0..16 (not scaled), 10 classes. */
  public Dataset digits() {
    return DigitsLoader.load(file("digits", "digits.csv.gz"), DType.F64, false);
  }

  /** Iris: 150 × 4, 3 classes (setosa, versicolor, virginica). */
  public Dataset iris() {
    return SklearnCsvLoader.loadClassification(file("iris", "iris.csv"), "iris", DType.F64).data();
  }

  /** UCI Wine: 178 × 13, 3 classes. */
  public Dataset wine() {
    return SklearnCsvLoader.loadClassification(file("wine", "wine_data.csv"), "wine", DType.F64).data();
  }

  /** Breast cancer Wisconsin (diagnostic), scikit-learn's copy: 569 × 30, 2 classes, when the folder has breast_cancer/. */
  public Dataset breastCancer() {
    return SklearnCsvLoader.loadClassification(file("breast_cancer", "breast_cancer.csv"), "breast-cancer", DType.F64).data();
  }

  // ------------------------------------------------------------------ derived sets

  /** Every image rotated by {@code angleDegrees} (bilinear, about the centre, zero fill): {@link Rotation#rotated}. */
  public static Dataset rotated(Dataset d, double angleDegrees) {
    return Rotation.rotated(d, angleDegrees);
  }

  /** Seeded disjoint train/test subsets: {@link Splits#split}. */
  public static TrainTest split(Dataset d, int nTrain, int nTest, long seed) {
    return Splits.split(d, nTrain, nTest, seed);
  }

  /** The first n examples: {@link Splits#first}. */
  public static Dataset first(Dataset d, int n) {
    return Splits.first(d, n);
  }

  /** A seeded sample of n examples without replacement: {@link Splits#sample}. */
  public static Dataset sample(Dataset d, int n, long seed) {
    return Splits.sample(d, n, seed);
  }
}
