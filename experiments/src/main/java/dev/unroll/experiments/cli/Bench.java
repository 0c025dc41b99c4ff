package dev.unroll.experiments.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./unroll bench [--quick] [--compare] [--json FILE] [--include REGEX] [--list]}: the JMH
 * suite of module benchmarks. The suite lives in the benchmarks jar (benchmarks depend on this
 * module, not the reverse), so this command runs that jar's runner, dev.unroll.benchmarks.BenchMain,
 * in a JVM of its own with the same Java and passes its exit status on. The ./unroll launcher
 * builds the jar when it is missing or older than the sources.
 */
public final class Bench {
  private Bench() {}

  /** The runner class in the benchmarks jar. */
  static final String RUNNER = "dev.unroll.benchmarks.BenchMain";

  public static int run(String[] args) throws Exception {
    Path jar = benchmarksJar();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("the benchmarks jar " + jar + " is missing: run ./unroll bench (it builds it), or mvn -pl benchmarks -am package");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--add-modules=jdk.incubator.vector");
    cmd.add("-cp");
    cmd.add(jar.toString());
    cmd.add(RUNNER);
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    return p.waitFor();
  }

  /**
   * benchmarks/target/benchmarks.jar beside this jar's module in the source tree
   * (experiments/target/unroll.jar), or as named by the system property unroll.benchmarks.jar.
   */
  static Path benchmarksJar() throws URISyntaxException {
    String given = System.getProperty("unroll.benchmarks.jar");
    if (given != null && !given.isBlank()) return Path.of(given);
    Path self = Path.of(Bench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    // self is experiments/target/unroll.jar (or experiments/target/classes when run from the build).
    Path root = self.getParent().getParent().getParent();
    return root.resolve("benchmarks").resolve("target").resolve("benchmarks.jar");
  }
}
