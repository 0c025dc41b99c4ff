package dev.unroll.experiments.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MislabelDetectionTest {
  @Test
  void handWorkedExample() {
    // Inspection order 3, 0, 1, 4, 2 with corrupted {1, 3}: found 1/2, 1/2, 1, 1, 1.
    double[] s = {4, 3, 1, 5, 2};
    MislabelDetection.Curve c = MislabelDetection.curve(s, MislabelDetection.mask(5, new int[] {1, 3}));
    assertArrayEquals(new double[] {0, 0.5, 0.5, 1, 1, 1}, c.found(), 1e-15);
    // Trapezoids of width 0.2: 0.05 + 0.1 + 0.15 + 0.2 + 0.2.
    assertEquals(0.7, c.area(), 1e-12);
    assertEquals(0.5, c.at(0.3), 0);
    assertEquals(1.0, c.at(0.6), 0);
  }

  @Test
  void perfectAndWorstRankingsHaveTheirClosedFormAreas() {
    int n = 200, m = 60;
    double rho = (double) m / n;
    boolean[] bad = new boolean[n];
    double[] best = new double[n], worst = new double[n];
    for (int i = 0; i < n; i++) {
      bad[i] = i % 10 < 3;
      best[i] = bad[i] ? 10 + i : i - 1000;
      worst[i] = -best[i];
    }
    assertEquals(1 - rho / 2, MislabelDetection.curve(best, bad).area(), 1e-12);
    assertEquals(rho / 2, MislabelDetection.curve(worst, bad).area(), 1e-12);
    assertEquals(1.0, MislabelDetection.curve(best, bad).at(rho), 1e-15);
  }

  @Test
  void tiedScoresGetTheExpectationOfARandomOrder() {
    double[] flat = new double[8];
    boolean[] bad = {true, false, false, true, false, false, false, false};
    MislabelDetection.Curve c = MislabelDetection.curve(flat, bad);
    for (int i = 0; i <= 8; i++) assertEquals(i / 8.0, c.found()[i], 1e-15);
    assertEquals(0.5, c.area(), 1e-15);
    // Two tie groups {0, 1} and {2, 3}, one corrupted point in each.
    MislabelDetection.Curve t = MislabelDetection.curve(new double[] {3, 3, 1, 1}, new boolean[] {false, true, true, false});
    assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75, 1}, t.found(), 1e-15);
  }

  @Test
  void badInputIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> MislabelDetection.curve(new double[] {1, Double.NaN}, new boolean[] {true, false}));
    assertThrows(IllegalArgumentException.class, () -> MislabelDetection.curve(new double[] {1, 2}, new boolean[] {true}));
    assertThrows(IllegalArgumentException.class, () -> MislabelDetection.curve(new double[] {1, 2}, new boolean[] {false, false}));
    assertThrows(IllegalArgumentException.class, () -> MislabelDetection.mask(3, new int[] {3}));
  }
}
