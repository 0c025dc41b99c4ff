package dev.unroll.experiments.paper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.unroll.autodiff.DType;
import dev.unroll.nn.Activation;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.ModelSpec;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.StageSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A counterfactual retrain leaves a point out of every stage it is in, and only those. */
class SettingTest {
  private static StageSpec stage(String name, DataSpec d) {
    return StageSpec.of(name, d, OptimizerSpec.sgd(0.9, 0, false), LrSchedule.constant(0.1), 2, 1);
  }

  @Test
  void singleStageSubsetIsTheMaskedRows() {
    RunConfig c = RunConfig.of(ModelSpec.mlp(Activation.RELU, 2, 1), "mse", DType.F64, 0, stage("s", DataSpec.all("d")));
    boolean[] keep = {true, false, true, true, false};
    assertEquals(DataSpec.subset("d", new int[] {0, 2, 3}), Setting.onSubset(c, keep).stage(0).data());
  }

  @Test
  void multiStageSubsetRemovesAPointFromEveryStageItIsIn() {
    // Stages over columns {0, 1, 2} and {2, 3, 4}: point 2 is in both, point 0 only in the first.
    RunConfig c = RunConfig.of(ModelSpec.mlp(Activation.RELU, 2, 1), "mse", DType.F64, 0,
        List.of(stage("a", DataSpec.subset("u", new int[] {0, 1, 2})), stage("b", DataSpec.subset("u", new int[] {2, 3, 4}))));
    boolean[] keep = {false, true, false, true, true};
    RunConfig s = Setting.onSubset(c, keep);
    assertArrayEquals(new int[] {1}, s.stage(0).data().indices());
    assertArrayEquals(new int[] {3, 4}, s.stage(1).data().indices());
    assertEquals(c.stage(1).epochs(), s.stage(1).epochs());
  }

  @Test
  void aMaskTooShortForAStageIsAnError() {
    RunConfig c = RunConfig.of(ModelSpec.mlp(Activation.RELU, 2, 1), "mse", DType.F64, 0, stage("a", DataSpec.subset("u", new int[] {0, 7})));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Setting.onSubset(c, new boolean[3]));
    assertEquals("stage 'a' trains on row 7 but the subset mask covers 3 training points", e.getMessage());
  }

  @Test
  void quickEvaluationsFollowTheRetrainingCost() {
    // Concrete: 20 epochs of 28 batches = 560 steps; Parkinsons: 20 × 165 = 3300; images: the image plan.
    var concrete = UciSetting.of("concrete", null, 0, 0).quickEvaluations();
    var parkinsons = UciSetting.of("parkinsons", null, 0, 0).quickEvaluations();
    var image = ImageSetting.of("fashion-mnist", null, 0, 0).quickEvaluations();
    assertEquals(4, concrete.seeds());
    assertEquals(null, concrete.removalMethods());
    assertEquals(40, concrete.looPoints());
    assertEquals(2, parkinsons.seeds());
    assertEquals(java.util.Set.of("SOURCE (L=3)", "EK-FAC influence", "TracIn", "gradient dot"), parkinsons.removalMethods());
    assertEquals(0, image.looPoints());
    assertEquals(1, image.seeds());
    // A short Parkinsons run (3 epochs = 495 steps) is cheap again.
    assertEquals(4, UciSetting.of("parkinsons", null, 0, 3).quickEvaluations().seeds());
  }
}
