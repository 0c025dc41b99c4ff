package dev.unroll.nn.data;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the shared data folder for tests: the system property {@code unroll.data}, else the
 * environment variable UNROLL_DATA, else the first {@code shared/data} found walking up from the
 * working directory. Tests that need it are skipped (not failed) when it is absent.
 */
final class TestData {
  private TestData() {}

  static Path folder() {
    for (String p : new String[] {System.getProperty("unroll.data"), System.getenv(DataSets.ENV)}) {
      if (p != null && !p.isBlank() && Files.isDirectory(Path.of(p))) return Path.of(p);
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path c = d.resolve("shared").resolve("data");
      if (Files.isDirectory(c)) return c;
    }
    return null;
  }

  /** The data folder, or the test is skipped. */
  static Path require() {
    Path f = folder();
    Assumptions.assumeTrue(f != null, "skipped: data folder not found (set -Dunroll.data=... or UNROLL_DATA)");
    return f;
  }

  /** The data folder holding {@code sub}/, or the test is skipped. */
  static Path require(String sub) {
    Path f = require();
    Assumptions.assumeTrue(Files.isDirectory(f.resolve(sub)), "skipped: data folder " + f + " has no " + sub + "/");
    return f;
  }
}
