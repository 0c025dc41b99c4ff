package dev.unroll.experiments.paper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The experiments added after the first ones, end to end on tiny subsets (a few examples, one or
 * two epochs, 4 subsets, 1 retrain each): every method of the setting is in the report, and the
 * settings-specific parts (ensembles, a CNN model, three stages with per-stage query groups) are there.
 */
class NewExperimentsTest {
  private static String[] args(Path data, Path out, String train, String epochs, String queries) {
    return new String[] {"--data", data.toString(), "--train", train, "--epochs", epochs, "--subsets", "4", "--seeds", "1", "--queries", queries, "--threads", "2", "--out", out.toString()};
  }

  private static JsonObject summary(Path dir) throws Exception {
    return JsonParser.parseString(Files.readString(dir.resolve("summary.json"))).getAsJsonObject();
  }

  @Test
  void parkinsonsComparesTheCatalogAndTheEnsembles(@TempDir Path dir) throws Exception {
    Path data = TestData.require("parkinsons_telemonitoring");
    assertEquals(0, Experiments.run("parkinsons", args(data, dir, "96", "2", "3")));
    JsonObject s = summary(dir);
    JsonObject methods = s.getAsJsonObject("methods");
    assertEquals(MethodCatalog.all(true, 1, null).size() + 2, methods.size());
    assertTrue(methods.has("SOURCE ensemble (" + UciSetting.ENSEMBLE + " seeds)"));
    assertTrue(methods.has(MethodCatalog.EXACT));
    assertEquals(96, s.getAsJsonObject("settings").get("training examples").getAsInt());
  }

  @Test
  void cnnTrainsAConvolutionalModel(@TempDir Path dir) throws Exception {
    Path data = TestData.require("fashion_mnist");
    assertEquals(0, Experiments.run("cnn", args(data, dir, "64", "1", "3")));
    JsonObject cfg = JsonParser.parseString(Files.readString(dir.resolve("run/config.json"))).getAsJsonObject();
    assertEquals("cnn", cfg.getAsJsonObject("model").get("type").getAsString());
    assertEquals(MethodCatalog.all(false, 1, null, false).size(), summary(dir).getAsJsonObject("methods").size());
  }

  @Test
  void rotatedMnistHasThreeStagesAndPerStageQueryGroups(@TempDir Path dir) throws Exception {
    Path data = TestData.require("mnist");
    assertEquals(0, Experiments.run("rotated-mnist", args(data, dir, "32", "1", "6")));
    JsonObject cfg = JsonParser.parseString(Files.readString(dir.resolve("run/config.json"))).getAsJsonObject();
    assertEquals(3, cfg.getAsJsonArray("stages").size());
    JsonObject methods = summary(dir).getAsJsonObject("methods");
    assertEquals(MethodCatalog.all(false, 1, null, false).size() + 1, methods.size());
    assertTrue(methods.has(MethodCatalog.EXACT), "exact unrolling across the stages");
    for (Map.Entry<String, com.google.gson.JsonElement> m : methods.entrySet()) {
      for (String a : new String[] {"0", "30", "60"}) assertTrue(m.getValue().getAsJsonObject().has("LDS queries at " + a + "°"), m.getKey() + " has the LDS of the " + a + "° queries");
    }
    // Each stage trains on its own 32 rows of the 96-point union.
    assertEquals(96, summary(dir).getAsJsonObject("settings").get("training examples").getAsInt());
  }
}
