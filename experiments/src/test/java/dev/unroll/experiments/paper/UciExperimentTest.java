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
    String[] args = {"--subsets", "4", "--seeds", "1", "--queries", "3", "--threads", "2", "--evaluations", "none", "--out", dir.toString()};
    assertEquals(0, UciExperiment.run("concrete-early", args));
    for (String f : new String[] {"summary.json", "report.md", "lds.png", "run/config.json", "run/task.json", "scores/SOURCE_L_3_.npy"}) {
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

  /** The evaluations beside the LDS run from the pipeline and land in summary.json, report.md and a PNG. */
  @Test
  void evaluationsBesideLdsRunFromThePipeline(@TempDir Path dir) throws Exception {
    String[] args = {"--subsets", "4", "--seeds", "1", "--queries", "3", "--threads", "2", "--methods", "source,if-ekfac", "--evaluations", "quick", "--out", dir.toString()};
    assertEquals(0, UciExperiment.run("concrete-early", args));
    JsonObject summary = JsonParser.parseString(Files.readString(dir.resolve("summary.json"))).getAsJsonObject();
    assertTrue(summary.has("leave_one_out"), "leave-one-out figures in summary.json");
    assertTrue(summary.has("subset_removal"), "subset-removal figures in summary.json");
    String report = Files.readString(dir.resolve("report.md"));
    assertTrue(report.contains("Leave-one-out correlation") && report.contains("Subset removal"), "report sections");
    assertTrue(Files.exists(dir.resolve("subset-removal.png")));
  }
}
