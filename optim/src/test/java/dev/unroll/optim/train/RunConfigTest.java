package dev.unroll.optim.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.io.CorruptFileException;
import dev.unroll.nn.Activation;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunConfigTest {
  private static RunConfig rich() {
    StageSpec a = new StageSpec("a", DataSpec.subset("mnist", new int[] {5, 3, 9}), OptimizerSpec.adamW(0.9, 0.999, 1e-8, 0.01),
        LrSchedule.warmup(3, LrSchedule.cosine(0.1, 0.001)), 2, 2, true, 3, 1, new int[] {1, 2}, new double[] {1, 0.5, 2});
    StageSpec b = StageSpec.of("b", DataSpec.all("fashion"), OptimizerSpec.sgd(0.9, 1e-5, true), LrSchedule.triangular(0, 0.4, 0, 0.2), 64, 1);
    return RunConfig.of(ModelSpec.cnn(Activation.RELU, new int[] {1, 28, 28}, new int[] {8, 16}, 32, 10), "cross_entropy", DType.F32, 42, List.of(a, b));
  }

  @Test
  void jsonRoundTripKeepsEveryField() {
    RunConfig c = rich();
    RunConfig back = RunConfig.fromJson(c.toJson());
    assertEquals(c, back);
    assertEquals(c.toJson(), back.toJson());
    assertEquals(c.fingerprint(), back.fingerprint());
    assertArrayEquals(new double[] {1, 0.5, 2}, back.stage(0).weights());
    assertArrayEquals(new int[] {5, 3, 9}, back.stage(0).data().indices());
    assertEquals(c.stage(0).schedule().lr(1, 10), back.stage(0).schedule().lr(1, 10));
  }

  @Test
  void fingerprintSeesEveryChange() {
    RunConfig c = rich();
    assertNotEquals(c.fingerprint(), c.withSeed(43).fingerprint());
    assertNotEquals(c.fingerprint(), c.withData(1, DataSpec.subset("fashion", new int[] {0})).fingerprint());
    assertNotEquals(c.fingerprint(), c.withWeights(0, new double[] {1, 0.5, 2.0000001}).fingerprint());
  }

  @Test
  void saveAndLoad(@TempDir Path dir) {
    RunConfig c = rich();
    c.save(dir.resolve("config.json"));
    assertEquals(c, RunConfig.load(dir.resolve("config.json")));
  }

  @Test
  void badFilesAndValuesNameTheProblem(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("config.json");
    Files.writeString(f, "{\"model\": {\"type\": \"mlp\"");
    CorruptFileException e = assertThrows(CorruptFileException.class, () -> RunConfig.load(f));
    assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    String json = rich().toJson().replace("\"cross_entropy\"", "\"hinge\"");
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> RunConfig.fromJson(json));
    assertTrue(bad.getMessage().contains("hinge"), bad.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ModelSpec.mlp(Activation.RELU, 3));
    assertThrows(IllegalArgumentException.class, () -> ModelSpec.cnn(Activation.RELU, new int[] {1, 4, 4}, new int[] {2, 2, 2}, 0, 3));
    assertThrows(IllegalArgumentException.class, () -> StageSpec.of("s", DataSpec.all("x"), OptimizerSpec.sgd(0, 0, false), LrSchedule.constant(0.1), 0, 1));
  }

  @Test
  void maskSelectsRowsInOrder() {
    assertArrayEquals(new int[] {1, 3}, DataSpec.mask("d", new boolean[] {false, true, false, true}).indices());
  }
}
