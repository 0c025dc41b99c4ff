package dev.unroll.autodiff;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a vector's lanes in one fixed order, whatever the JIT has compiled. The Vector API's
 * {@code reduceLanes(ADD)} leaves the order of a floating-point reduction unspecified, and the
 * interpreted fallback and the compiled intrinsic do add in different orders: a kernel using it
 * gives different bits before and after C2 compiles it, so a seeded run would not repeat itself.
 * Here the lanes are folded by rotations, v ← v + rotate(v, s) for s = L/2, L/4, …, 1, each step
 * lane-wise and therefore exactly specified; lane 0 then holds the sum.
 */
public final class LaneSums {
  private LaneSums() {}

  private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
  private static final VectorShuffle<Float>[] F_ROT = rotations(FS);
  private static final VectorShuffle<Double>[] D_ROT = rotations(DS);

  @SuppressWarnings("unchecked")
  private static <E> VectorShuffle<E>[] rotations(VectorSpecies<E> s) {
    int steps = Integer.numberOfTrailingZeros(s.length());
    VectorShuffle<E>[] r = new VectorShuffle[steps];
    for (int i = 0, shift = s.length() / 2; i < steps; i++, shift /= 2) r[i] = VectorShuffle.iota(s, shift, 1, true);
    return r;
  }

  /** Σ lanes of v (the preferred float species), in the fixed folding order. */
  public static float sum(FloatVector v) {
    for (VectorShuffle<Float> r : F_ROT) v = v.add(v.rearrange(r));
    return v.lane(0);
  }

  /** Σ lanes of v (the preferred double species), in the fixed folding order. */
  public static double sum(DoubleVector v) {
    for (VectorShuffle<Double> r : D_ROT) v = v.add(v.rearrange(r));
    return v.lane(0);
  }
}
