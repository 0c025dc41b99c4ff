package dev.unroll.experiments.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.nn.Measurement;
import org.junit.jupiter.api.Test;

class SupportTest {
  @Test
  void marginSupportIsNegatedScore() {
    assertTrue(Support.higherIsBetter(Measurement.margin()));
    assertFalse(Support.higherIsBetter(Measurement.absoluteError()));
    assertArrayEquals(new double[] {-1, 2}, Support.support(new double[] {1, -2}, true));
    assertArrayEquals(new double[] {1, -2}, Support.support(new double[] {1, -2}, false));
    // Margin 1.0 → 0.4 is a harm of 0.6; error 1.0 → 0.4 a harm of −0.6.
    assertEquals(0.6, Support.harm(1.0, 0.4, true), 1e-15);
    assertEquals(-0.6, Support.harm(1.0, 0.4, false), 1e-15);
  }

  @Test
  void topKBreaksTiesByIndexAndRejectsNaN() {
    assertArrayEquals(new int[] {3, 1, 4}, Support.topK(new double[] {0, 2, -1, 5, 2}, 3));
    assertArrayEquals(new int[0], Support.topK(new double[] {1}, 0));
    assertThrows(IllegalArgumentException.class, () -> Support.topK(new double[] {1, Double.NaN}, 1));
    assertThrows(IllegalArgumentException.class, () -> Support.topK(new double[] {1}, 2));
  }
}
