package dev.unroll.experiments.paper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The experiment end to end on a tiny scale: every method produces a finite LDS, the files a person
 * reads are written, and a second invocation reuses the recorded run and the cached retrains.
 */
class UciExperimentTest {
  @Test
  void concreteEarlyRunsEndToEndAndResumes(@TempDir Path dir) throws Exception {
    String[] args = {"--subsets", "4", "--seeds", "1", "--queries", "3", "--threads", "2", "--out", dir.toString()};
    assertEquals(0, UciExperiment.run("concrete-early", args));
    for (String f : new String[] {"summary.json", "report.md", "lds.png", "run/config.json", "scores/SOURCE_L_3_.npy"}) {
      assertTrue(Files.exists(dir.resolve(f)), f + " was written");
    }
    JsonObject methods = JsonParser.parseString(Files.readString(dir.resolve("summary.json"))).getAsJsonObject().getAsJsonObject("methods");
    assertEquals(MethodCatalog.all(true, 1, null).size() + 2, methods.size(), "the catalog and the SOURCE and EK-FAC ensembles");
    Path results;
    try (var s = Files.list(dir.resolve("ground-truth"))) {
      results = s.findFirst().orElseThrow().resolve("results.csv");
    }
    long before = Files.size(results);
    assertEquals(4, Files.readAllLines(results).size());
    assertEquals(0, UciExperiment.run("concrete-early", args));
    assertEquals(before, Files.size(results), "the second invocation retrains nothing");
  }
}
