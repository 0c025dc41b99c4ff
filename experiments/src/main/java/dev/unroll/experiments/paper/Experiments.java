package dev.unroll.experiments.paper;

import dev.unroll.experiments.Options;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The named experiments of {@code ./unroll experiment NAME} and the options they share:
 * {@code --scale quick|paper}, {@code --out DIR}, {@code --data DIR}, {@code --threads N},
 * {@code --seed S}, and overrides of the scale ({@code --subsets M}, {@code --seeds R},
 * {@code --queries Q}), of the recipe ({@code --epochs E}, {@code --train N}: training examples,
 * per stage for rotated-mnist; for small test runs), and {@code --methods ID,...} to compare only
 * some of the setting's methods ({@link MethodIds}); {@code --evaluations none|quick|full} sets how
 * much of the evaluations beside the LDS to run (default quick, at either scale: full retrains
 * thousands of models more);
 * {@code --train-only} records the base run and stops (for {@code ./unroll score}).
 */
public final class Experiments {
  private Experiments() {}

  public static final List<String> NAMES = List.of("concrete", "concrete-early", "parkinsons", "fashion-mnist", "fashion-mnist-n", "cnn", "rotated-mnist");

  /** The options every experiment takes. */
  public static final Set<String> OPTIONS = Set.of("scale", "out", "data", "threads", "seed", "epochs", "subsets", "seeds", "queries", "train", "methods", "evaluations");

  /** The setting called {@code name}. */
  public static Setting setting(String name, String dataFolder, int trainSize, int epochs) {
    return switch (name) {
      case "concrete", "concrete-early", "parkinsons" -> UciSetting.of(name, dataFolder, trainSize, epochs);
      case "fashion-mnist", "fashion-mnist-n", "cnn" -> ImageSetting.of(name, dataFolder, trainSize, epochs);
      case "rotated-mnist" -> RotatedMnistSetting.of(dataFolder, trainSize, epochs);
      default -> throw new IllegalArgumentException("unknown experiment '" + name + "' (known: " + String.join(", ", NAMES) + ")");
    };
  }

  /** Runs experiment {@code name} with command-line {@code args}. */
  public static int run(String name, String[] args) throws Exception {
    Options o = Options.parse(args, OPTIONS, Set.of("train-only"));
    Setting s = setting(name, o.get("data", null), o.getInt("train", 0), o.getInt("epochs", 0));
    return Pipeline.run(s, pipelineRun(o, name));
  }

  /** The scale (with its overrides), threads, seed and run folder (default runs/NAME-SCALE) of parsed options. */
  public static Pipeline.Run pipelineRun(Options o, String name) {
    Scale scale = Scale.of(o.get("scale", "quick"));
    scale = new Scale(scale.name(), o.getInt("subsets", scale.subsets()), o.getInt("seeds", scale.seeds()), o.getInt("seeds", scale.imageSeeds()), o.getInt("queries", scale.queries()));
    int threads = o.getInt("threads", Runtime.getRuntime().availableProcessors());
    long seed = o.getInt("seed", 0);
    String evaluations = o.get("evaluations", "quick");
    if (!ExtraEvaluations.LEVELS.contains(evaluations)) throw new IllegalArgumentException("--evaluations must be one of " + String.join(", ", ExtraEvaluations.LEVELS) + ", got '" + evaluations + "'");
    return new Pipeline.Run(scale, threads, seed, Path.of(o.get("out", "runs/" + name + "-" + scale.name())), MethodIds.parse(o.get("methods", null)), evaluations, o.flag("train-only"));
  }
}
