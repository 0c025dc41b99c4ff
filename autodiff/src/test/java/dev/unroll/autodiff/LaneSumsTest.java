package dev.unroll.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The lane sums equal the same folding done by hand in scalar arithmetic, bit for bit, on the
 * first calls (interpreted) and after the JIT has compiled them: the property that
 * {@code reduceLanes(ADD)} lacks.
 */
class LaneSumsTest {
  /** The folding v[i] ← v[i] + v[(i + s) mod L] for s = L/2, …, 1, lane 0. */
  static double folded(double[] v) {
    double[] x = v.clone();
    for (int s = x.length / 2; s >= 1; s /= 2) {
      double[] y = new double[x.length];
      for (int i = 0; i < x.length; i++) y[i] = x[i] + x[(i + s) % x.length];
      x = y;
    }
    return x[0];
  }

  static float folded(float[] v) {
    float[] x = v.clone();
    for (int s = x.length / 2; s >= 1; s /= 2) {
      float[] y = new float[x.length];
      for (int i = 0; i < x.length; i++) y[i] = x[i] + x[(i + s) % x.length];
      x = y;
    }
    return x[0];
  }

  @Test
  void sameBitsColdAndWarm() {
    Rng r = new Rng(5);
    int fl = FloatVector.SPECIES_PREFERRED.length(), dl = DoubleVector.SPECIES_PREFERRED.length();
    for (int rep = 0; rep < 20_000; rep++) {
      float[] f = new float[fl];
      double[] d = new double[dl];
      // Magnitudes over many binades, so that the order of the additions shows in the result.
      for (int i = 0; i < fl; i++) f[i] = (float) (r.normal() * Math.pow(10, (i % 7) - 3));
      for (int i = 0; i < dl; i++) d[i] = r.normal() * Math.pow(10, 3 * (i % 5) - 6);
      assertEquals(folded(f), LaneSums.sum(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, f, 0)), 0f, "float lanes at call " + rep);
      assertEquals(folded(d), LaneSums.sum(DoubleVector.fromArray(DoubleVector.SPECIES_PREFERRED, d, 0)), 0.0, "double lanes at call " + rep);
    }
  }
}
