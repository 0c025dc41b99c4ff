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
    return new String[] {"--data", data.toString(), "--train", train, "--epochs", epochs, "--subsets", "4", "--seeds", "1", "--queries", queries, "--threads", "2", "--evaluations", "none", "--out", out.toString()};
  }

  private static JsonObject summary(Path dir) throws Exception {
    return JsonParser.parseString(Files.readString(dir.resolve("summary.json"))).getAsJsonObject();
  }

  /** Parkinsons with the methods chosen by id (TRAK's half-models would dominate the test's time). */
  @Test
  void parkinsonsComparesChosenMethodsWithTheEnsembles(@TempDir Path dir) throws Exception {
    Path data = TestData.require("parkinsons_telemonitoring");
    String[] a = java.util.stream.Stream.concat(java.util.Arrays.stream(args(data, dir, "96", "2", "3")), java.util.stream.Stream.of("--methods", "exact,source,source-ensemble,if-ekfac-ensemble"))
        .toArray(String[]::new);
    assertEquals(0, Experiments.run("parkinsons", a));
    JsonObject s = summary(dir);
    JsonObject methods = s.getAsJsonObject("methods");
    assertEquals(java.util.List.of(MethodCatalog.EXACT, "SOURCE (L=3)", "SOURCE ensemble (" + UciSetting.ENSEMBLE + " seeds)", "EK-FAC influence ensemble (" + UciSetting.ENSEMBLE + " seeds)"),
        java.util.List.copyOf(methods.keySet()));
    assertEquals(96, s.getAsJsonObject("settings").get("training examples").getAsInt());
    assertTrue(UciSetting.of("parkinsons", data.toString(), 0, 0).methods(1, null, Scale.quick()).size() == MethodCatalog.all(true, 1, null).size() + 2, "the full list: catalog and two ensembles");
  }

  /** The CNN with the methods whose curvature has Conv2d factors (SOURCE, EK-FAC, K-FAC) and a representation method. */
  @Test
  void cnnTrainsAConvolutionalModel(@TempDir Path dir) throws Exception {
    Path data = TestData.require("fashion_mnist");
    String[] a = java.util.stream.Stream.concat(java.util.Arrays.stream(args(data, dir, "64", "1", "3")), java.util.stream.Stream.of("--methods", "source-l1,if-ekfac,if-kfac,rep-cos"))
        .toArray(String[]::new);
    assertEquals(0, Experiments.run("cnn", a));
    JsonObject cfg = JsonParser.parseString(Files.readString(dir.resolve("run/config.json"))).getAsJsonObject();
    assertEquals("cnn", cfg.getAsJsonObject("model").get("type").getAsString());
    assertEquals(java.util.List.of("SOURCE (L=1)", "EK-FAC influence", "K-FAC influence", "representation cosine"), java.util.List.copyOf(summary(dir).getAsJsonObject("methods").keySet()));
    assertEquals(MethodCatalog.all(false, 1, null, false).size(), ImageSetting.of("cnn", data.toString(), 0, 0).methods(1, null, Scale.quick()).size(), "the full list: the catalog");
  }

  /**
   * Rotated MNIST on 64 images per stage: exact unrolling across the stages, SOURCE with one segment
   * per stage (its input factors have hundreds of zero rows here: blank pixels of a small sample,
   * where commons-math's QL once failed to converge), TracIn and EK-FAC influence (a subset of the
   * methods keeps the test short).
   */
  @Test
  void rotatedMnistHasThreeStagesAndPerStageQueryGroups(@TempDir Path dir) throws Exception {
    Path data = TestData.require("mnist");
    String[] a = java.util.stream.Stream.concat(java.util.Arrays.stream(args(data, dir, "64", "1", "6")), java.util.stream.Stream.of("--methods", "exact,source-l1,if-ekfac,tracin,grad-dot"))
        .toArray(String[]::new);
    assertEquals(0, Experiments.run("rotated-mnist", a));
    JsonObject cfg = JsonParser.parseString(Files.readString(dir.resolve("run/config.json"))).getAsJsonObject();
    assertEquals(3, cfg.getAsJsonArray("stages").size());
    JsonObject methods = summary(dir).getAsJsonObject("methods");
    assertEquals(java.util.List.of(MethodCatalog.EXACT, "SOURCE (L=1)", "EK-FAC influence", "TracIn", "gradient dot"), java.util.List.copyOf(methods.keySet()));
    for (Map.Entry<String, com.google.gson.JsonElement> m : methods.entrySet()) {
      for (String an : new String[] {"0", "30", "60"}) assertTrue(m.getValue().getAsJsonObject().has("LDS queries at " + an + "°"), m.getKey() + " has the LDS of the " + an + "° queries");
    }
    // Each stage trains on its own 64 rows of the 192-point union.
    assertEquals(192, summary(dir).getAsJsonObject("settings").get("training examples").getAsInt());
    assertEquals(MethodCatalog.all(false, 1, null, false).size() + 1, RotatedMnistSetting.of(data.toString(), 0, 0).methods(1, null, Scale.quick()).size(), "the full list: exact and the catalog");
  }
}
