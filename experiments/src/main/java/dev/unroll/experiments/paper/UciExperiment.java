package dev.unroll.experiments.paper;

/**
 * The paper's experiments by name (kept for callers of the first version): see {@link Experiments}
 * for the names and options, {@link Pipeline} for the steps and the settings
 * ({@link UciSetting}, {@link ImageSetting}, {@link RotatedMnistSetting}) for what each compares.
 */
public final class UciExperiment {
  private UciExperiment() {}

  public static int run(String task, String[] args) throws Exception {
    return Experiments.run(task, args);
  }
}
