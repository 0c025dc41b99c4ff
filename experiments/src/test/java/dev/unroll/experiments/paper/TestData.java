package dev.unroll.experiments.paper;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The shared data folder for tests: the system property {@code unroll.data}, else the environment
 * variable UNROLL_DATA, else the first {@code shared/data} found walking up from the working
 * directory. Tests that need a data set are skipped (not failed) when it is absent.
 */
final class TestData {
  private TestData() {}

  /** The data folder holding {@code sub}/, or the test is skipped. */
  static Path require(String sub) {
    Path f = null;
    for (String p : new String[] {System.getProperty("unroll.data"), System.getenv("UNROLL_DATA")}) {
      if (f == null && p != null && !p.isBlank() && Files.isDirectory(Path.of(p))) f = Path.of(p);
    }
    for (Path d = Path.of("").toAbsolutePath(); f == null && d != null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve("shared").resolve("data"))) f = d.resolve("shared").resolve("data");
    }
    Assumptions.assumeTrue(f != null && Files.isDirectory(f.resolve(sub)), "skipped: no data folder with " + sub + "/ (set -Dunroll.data=... or UNROLL_DATA)");
    return f;
  }
}
