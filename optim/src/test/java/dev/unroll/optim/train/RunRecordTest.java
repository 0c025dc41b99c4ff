package dev.unroll.optim.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.unroll.autodiff.DType;
import dev.unroll.nn.Activation;
import dev.unroll.nn.data.Batches;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunRecordTest {
  @Test
  void concreteSettingPlansSixEvenCheckpointsInThreeSegments() {
    StageSpec s = StageSpec.of("train", DataSpec.all("concrete"), OptimizerSpec.sgd(0.9, 1e-5, false), LrSchedule.constant(0.03), 32, 20);
    RunRecord r = RunRecord.plan(RunConfig.of(ModelSpec.mlp(Activation.RELU, 8, 128, 128, 128, 1), "mse", DType.F64, 0, s), new int[] {896});
    assertEquals(560, r.totalSteps());
    // ⌊j·560/6⌋ for j = 1..6, and step 0.
    assertArrayEquals(new int[] {0, 93, 186, 280, 373, 466, 560}, r.checkpointSteps());
    assertEquals(List.of(new Segment(0, 0, 186, new int[] {93, 186}), new Segment(0, 186, 373, new int[] {280, 373}), new Segment(0, 373, 560, new int[] {466, 560})), r.segments());
    assertEquals(560 * 0.03, r.segments().stream().mapToDouble(g -> g.lrSum(r)).sum(), 1e-9);
    assertEquals(93, r.checkpointAtOrBefore(185));
    assertEquals(186, r.checkpointAtOrBefore(186));
  }

  @Test
  void stagesFollowEachOtherWithTheirOwnBatchesAndSchedules() {
    RunConfig c = Toy.twoStage(7);
    RunRecord r = RunRecord.plan(c, new int[] {18, 10});
    assertEquals(12, r.stageEnd(0));
    assertEquals(18, r.totalSteps());
    assertEquals(0, r.stageOf(11));
    assertEquals(1, r.stageOf(12));
    assertEquals(1, r.stageOf(18));
    for (int e = 0; e < 3; e++) {
      int[][] order = Batches.epochOrder(18, 5, c.orderSeed(0), e, false);
      for (int b = 0; b < 4; b++) assertArrayEquals(order[b], r.batch(4 * e + b));
    }
    for (int e = 0; e < 2; e++) {
      int[][] order = Batches.epochOrder(10, 4, c.orderSeed(1), e, false);
      for (int b = 0; b < 3; b++) assertArrayEquals(order[b], r.batch(12 + 3 * e + b));
    }
    for (int k = 0; k < 12; k++) assertEquals(0.05, r.lr(k));
    for (int k = 12; k < 18; k++) assertEquals(0.03 * Math.pow(0.5, (k - 12) / 4), r.lr(k));
    // Stage 1: 4 checkpoints over 12 steps at 3, 6, 9, 12 in 2 segments; stage 2: 2 over 6 at 15, 18 in 1.
    assertArrayEquals(new int[] {0, 3, 6, 9, 12, 15, 18}, r.checkpointSteps());
    assertEquals(List.of(new Segment(0, 0, 6, new int[] {3, 6}), new Segment(0, 6, 12, new int[] {9, 12}), new Segment(1, 12, 18, new int[] {15, 18})), r.segments());
  }

  @Test
  void unevenGroupsAndExplicitCheckpoints() {
    StageSpec s = new StageSpec("s", DataSpec.all("d"), OptimizerSpec.sgd(0, 0, false), LrSchedule.constant(0.1), 1, 10, false, 0, 2, new int[] {2, 5, 7}, null);
    RunRecord r = RunRecord.plan(RunConfig.of(ModelSpec.mlp(Activation.RELU, 1, 1), "mse", DType.F64, 0, s), new int[] {1});
    assertArrayEquals(new int[] {0, 2, 5, 7, 10}, r.checkpointSteps());
    assertEquals(List.of(new Segment(0, 0, 5, new int[] {2, 5}), new Segment(0, 5, 10, new int[] {7, 10})), r.segments());
    StageSpec tooLate = s.withCheckpointSteps(new int[] {11}, 1);
    assertThrows(IllegalArgumentException.class, () -> RunRecord.plan(RunConfig.of(ModelSpec.mlp(Activation.RELU, 1, 1), "mse", DType.F64, 0, tooLate), new int[] {1}));
  }

  @Test
  void weightsMustCoverTheData() {
    RunConfig c = Toy.twoStage(1).withWeights(0, new double[] {1, 2});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunRecord.plan(c, new int[] {18, 10}));
    assertEquals("stage 'pretrain': 2 loss weights for 18 examples", e.getMessage());
  }
}
