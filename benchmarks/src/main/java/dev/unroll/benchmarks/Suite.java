package dev.unroll.benchmarks;

import java.util.List;
import java.util.Map;

/**
 * The benchmarks `./unroll bench` runs, in groups, with the parameters each group runs with in the
 * quick, full and PyTorch-comparison selections. A group whose benchmarks are not in the build is
 * reported as absent, not as a failure.
 */
final class Suite {
  private Suite() {}

  /** Which selection a run makes. */
  enum Selection { QUICK, FULL, COMPARE }

  /** How a group is timed: many short invocations, or a few long ones timed singly. */
  enum Timing { SAMPLED, SINGLE_SHOT }

  /**
   * A group of benchmarks.
   *
   * @param title what the group measures
   * @param include regular expression on the benchmark's full name ("pkg.Class.method")
   * @param quick parameter overrides in the quick selection, null to leave the group out
   * @param full overrides in the full selection, null to leave it out
   * @param compare overrides in the comparison with PyTorch, null to leave it out
   * @param jvmArgs JVM options of the group's forks beyond {@link BenchMain#FORK_JVM_ARGS}
   */
  record Group(String title, String include, Timing timing, Map<String, String[]> quick, Map<String, String[]> full, Map<String, String[]> compare, String... jvmArgs) {
    Map<String, String[]> params(Selection s) {
      return switch (s) {
        case QUICK -> quick;
        case FULL -> full;
        case COMPARE -> compare;
      };
    }
  }

  private static final Map<String, String[]> DEFAULTS = Map.of();

  private static String[] v(String... values) {
    return values;
  }

  static final List<Group> GROUPS = List.of(
      new Group("measured floating-point peak (FMA chains)", "\\.PeakBench\\.", Timing.SAMPLED, DEFAULTS, DEFAULTS, DEFAULTS),
      new Group("GEMM, square", "\\.GemmBench\\.simd$", Timing.SAMPLED,
          Map.of("shape", v("sq1024")), Map.of("shape", v("sq256", "sq512", "sq1024", "sq2048")),
          Map.of("shape", v("sq512", "sq1024", "sq2048"), "dtype", v("float32", "float64"))),
      new Group("GEMM, MLP shapes (forward, weight gradient, input gradient)", "\\.GemmBench\\.simd$", Timing.SAMPLED,
          Map.of("shape", v("128x784x256", "128x256x10", "32x128x128"), "dtype", v("float32")),
          Map.of("shape", v("128x784x256", "784x128x256:TN", "128x256x784:NT", "32x128x128", "128x32x128:TN", "32x128x128:NT", "128x256x10", "256x128x10:TN", "128x10x256:NT")),
          Map.of("shape", v("128x784x256", "32x128x128", "128x256x10"), "dtype", v("float32"))),
      new Group("GEMM, scalar baseline", "\\.GemmBench\\.ScalarBaseline\\.", Timing.SAMPLED,
          Map.of("shape", v("32x128x128"), "dtype", v("float32")), DEFAULTS, null),
      new Group("elementwise kernels", "\\.ElementwiseBench\\.", Timing.SAMPLED, Map.of("dtype", v("float32"), "op", v("add", "exp", "sum")), DEFAULTS, null),
      new Group("reduction kernels", "\\.ReductionBench\\.", Timing.SAMPLED, Map.of("dtype", v("float32"), "n", v("1048576")), DEFAULTS, null),
      new Group("SGD step of an MLP", "\\.SgdStepBench\\.", Timing.SAMPLED, DEFAULTS, DEFAULTS, DEFAULTS),
      new Group("gradient and Hessian-vector product", "\\.DerivativesBench\\.", Timing.SAMPLED, Map.of("threads", v("2")), DEFAULTS, Map.of("threads", v("2"))),
      // About 1 GB of gradients per call: a fixed heap whose young generation holds them, so that
      // after the warm-up every call reuses pages already touched (see BenchMain.FORK_JVM_ARGS).
      new Group("influence scoring kernels (one and two pairs of factors)", "\\.ScoringKernelBench\\.", Timing.SAMPLED, null, DEFAULTS, null),
      new Group("per-example gradients, outer products", "\\.PerExampleBench\\.outerProduct$", Timing.SAMPLED, DEFAULTS, DEFAULTS, DEFAULTS, "-Xms6g", "-Xmn3g"),
      new Group("per-example gradients, loop of single examples", "\\.PerExampleBench\\.loop$", Timing.SAMPLED, null, DEFAULTS, DEFAULTS),
      // Whole runs allocate gigabytes: a heap committed and touched before the first call (see
      // BenchMain.PRETOUCHED_HEAP), so that no measured call pays for the heap's growth.
      new Group("full training runs", "\\.TrainingRunBench\\.", Timing.SINGLE_SHOT, DEFAULTS, DEFAULTS, DEFAULTS, BenchMain.PRETOUCHED_HEAP),
      new Group("EK-FAC fit and influence scoring", "\\.InfluenceBench\\.", Timing.SINGLE_SHOT, DEFAULTS, Map.of("task", v("concrete", "fashion-mnist-n")), DEFAULTS, BenchMain.PRETOUCHED_HEAP),
      // About 20 s a call on Concrete: left out of the quick selection.
      new Group("exact unrolling beside a training run", "\\.UnrollBench\\.", Timing.SINGLE_SHOT, null, DEFAULTS, null, BenchMain.PRETOUCHED_HEAP));
}
