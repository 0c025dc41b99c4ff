package dev.unroll.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import org.junit.jupiter.api.Test;

/** Schedules against their formulas, and their plain descriptions. */
class LrScheduleTest {
  @Test
  void constantAndStep() {
    LrSchedule c = LrSchedule.constant(0.3);
    for (int k = 0; k < 10; k++) assertEquals(0.3, c.lr(k, 10), 0);
    LrSchedule s = LrSchedule.step(1.0, 0.5, 3);
    double[] want = {1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125};
    for (int k = 0; k < 10; k++) assertEquals(want[k], s.lr(k, 10), 0);
  }

  @Test
  void cosineFromLrToFloor() {
    LrSchedule s = LrSchedule.cosine(0.1, 0.001);
    int t = 8;
    assertEquals(0.1, s.lr(0, t), 1e-17);
    assertEquals((0.1 + 0.001) / 2, s.lr(4, t), 1e-17);
    for (int k = 0; k < t; k++) assertEquals(0.001 + (0.1 - 0.001) * (1 + Math.cos(Math.PI * k / t)) / 2, s.lr(k, t), 1e-17);
    assertEquals(0.001, s.lr(t, t), 1e-17);
  }

  @Test
  void warmupRampsTheInnerSchedule() {
    LrSchedule s = LrSchedule.warmup(4, LrSchedule.cosine(1.0, 0));
    int t = 20;
    for (int k = 0; k < 4; k++) assertEquals((k + 1) / 4.0 * (1 + Math.cos(Math.PI * k / t)) / 2, s.lr(k, t), 1e-15);
    for (int k = 4; k < t; k++) assertEquals((1 + Math.cos(Math.PI * k / t)) / 2, s.lr(k, t), 1e-15);
  }

  @Test
  void triangularIsPiecewiseLinear() {
    // The CIFAR ResNet-9 schedule: 0 → 0.4 at 5/25 of the run → 0.
    LrSchedule s = LrSchedule.triangular(0, 0.4, 0, 0.2);
    int t = 100;
    for (int k = 0; k <= 20; k++) assertEquals(0.4 * k / 20, s.lr(k, t), 1e-15);
    for (int k = 20; k < t; k++) assertEquals(0.4 * (100 - k) / 80, s.lr(k, t), 1e-15);
  }

  @Test
  void descriptionRoundTripsThroughJson() {
    LrSchedule s = LrSchedule.warmup(5, LrSchedule.triangular(0.01, 0.4, 0, 0.3));
    Gson gson = new Gson();
    String json = gson.toJson(s);
    LrSchedule back = gson.fromJson(json, LrSchedule.class);
    assertEquals(s, back);
    assertEquals(json, gson.toJson(back));
    for (int k = 0; k < 30; k++) assertEquals(s.lr(k, 30), back.lr(k, 30), 0);
    OptimizerSpec spec = OptimizerSpec.sgd(0.9, 1e-5, false);
    assertEquals(spec, gson.fromJson(gson.toJson(spec), OptimizerSpec.class));
  }

  @Test
  void badDescriptionsAreErrors() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LrSchedule("exp", new java.util.TreeMap<>(), null));
    assertTrue(e.getMessage().contains("unknown learning-rate schedule 'exp'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LrSchedule.step(0.1, 0.5, 0));
    assertTrue(e.getMessage().contains("every"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new LrSchedule("constant", new java.util.TreeMap<>(java.util.Map.of("rate", 0.1)), null));
    assertTrue(e.getMessage().contains("[lr]"), e.getMessage());
  }
}
