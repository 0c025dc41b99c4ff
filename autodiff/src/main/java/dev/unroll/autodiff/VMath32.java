package dev.unroll.autodiff;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, log, tanh and sigmoid over float32 arrays on vectors, computed in single precision within
 * about 1–2 ulp of the reference (the double-precision {@link Math} result rounded to float).
 * Same construction, conventions and reasons as {@link VMath64}.
 */
final class VMath32 {
  private VMath32() {}

  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private static final float LOG2E = 1.4426950216293335f;
  /** ln 2 = LN2_HI + LN2_LO, LN2_HI with 11 significant bits so that k·LN2_HI is exact. */
  private static final float LN2_HI = 0.693115234375f;
  private static final float LN2_LO = 3.194618329871446e-05f;
  /** 1.5·2²³: adding it rounds a float of magnitude below 2²² to an integer, kept in the low bits. */
  private static final float SHIFTER = 12582912f;
  private static final int SHIFTER_BITS = Float.floatToRawIntBits(SHIFTER);
  private static final float SQRT2 = 1.4142135f;
  private static final float TWO25 = 33554432f;

  /** 1/n! for n = 2..7: the Taylor series of eʳ − 1 − r, enough for |r| ≤ ln2/2 in float. */
  private static final float[] EXP_C = {0.5f, 1f / 6, 1f / 24, 1f / 120, 1f / 720, 1f / 5040};

  /** Taylor coefficients c_1..c_10 of tanh x = Σ c_n x^(2n+1) (c_0 = 1), enough below |x| = 0.625 in float. */
  private static final float[] TANH_C = {
      -0.3333333432674408f, 0.13333334028720856f, -0.05396825447678566f, 0.021869488060474396f,
      -0.0088632358238101f, 0.0035921279340982437f, -0.0014558343682438135f, 0.0005900274263694882f,
      -0.0002391291200183332f, 9.69153770711273e-05f};
  private static final float TANH_SMALL = 0.625f;

  /** 2/(2j+1) for j = 1..5: the series R(s²) of {@link #log}, to s¹⁰. */
  private static final float[] LOG_C = {2f / 3, 2f / 5, 2f / 7, 2f / 9, 2f / 11};

  /** y = eˣ as in {@link VMath64#exp}; x clamped to [−104, 89]. */
  static void exp(float[] x, int xo, float[] y, int yo, int n) {
    FloatVector lo = FloatVector.broadcast(S, -LN2_LO), hi = FloatVector.broadcast(S, -LN2_HI);
    for (int i = 0; i < n; i += L) {
      FloatVector xc = FloatVector.fromArray(S, x, xo + i).max(-104f).min(89f);
      FloatVector t = xc.fma(LOG2E, SHIFTER);
      FloatVector kd = t.sub(SHIFTER);
      FloatVector r = kd.fma(hi, xc);
      r = kd.fma(lo, r);
      FloatVector p = FloatVector.broadcast(S, EXP_C[5])
          .fma(r, FloatVector.broadcast(S, EXP_C[4]))
          .fma(r, FloatVector.broadcast(S, EXP_C[3]))
          .fma(r, FloatVector.broadcast(S, EXP_C[2]))
          .fma(r, FloatVector.broadcast(S, EXP_C[1]))
          .fma(r, FloatVector.broadcast(S, EXP_C[0]));
      p = p.mul(r).fma(r, r).add(1f);
      IntVector k = t.reinterpretAsInts().sub(SHIFTER_BITS);
      IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
      IntVector k2 = k.sub(k1);
      FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
      FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
      p.mul(s1).mul(s2).intoArray(y, yo + i);
    }
  }

  /** y = ln x by the reduction of {@link VMath64#log}, the series to s¹⁰. */
  static void log(float[] x, int xo, float[] y, int yo, int n) {
    for (int i = 0; i < n; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xo + i);
      VectorMask<Float> sub = v.compare(VectorOperators.LT, Float.MIN_NORMAL);
      IntVector bits = v.blend(v.mul(TWO25), sub).reinterpretAsInts();
      IntVector e = bits.lanewise(VectorOperators.LSHR, 23).and(0xff).sub(127);
      e = e.blend(e.sub(25), sub.cast(e.species()));
      FloatVector m = bits.and(0x007fffff).or(0x3f800000).reinterpretAsFloats();
      VectorMask<Float> high = m.compare(VectorOperators.GT, SQRT2);
      m = m.blend(m.mul(0.5f), high);
      e = e.blend(e.add(1), high.cast(e.species()));
      FloatVector dk = (FloatVector) e.convert(VectorOperators.I2F, 0);
      FloatVector f = m.sub(1f);
      FloatVector s = f.div(f.add(2f));
      FloatVector z = s.mul(s);
      FloatVector rr = FloatVector.broadcast(S, LOG_C[4])
          .fma(z, FloatVector.broadcast(S, LOG_C[3]))
          .fma(z, FloatVector.broadcast(S, LOG_C[2]))
          .fma(z, FloatVector.broadcast(S, LOG_C[1]))
          .fma(z, FloatVector.broadcast(S, LOG_C[0]));
      rr = rr.mul(z);
      FloatVector hfsq = f.mul(f).mul(0.5f);
      FloatVector tail = s.mul(hfsq.add(rr)).add(dk.mul(LN2_LO));
      FloatVector r = dk.mul(LN2_HI).add(f.sub(hfsq.sub(tail)));
      r = r.blend(Float.NEGATIVE_INFINITY, v.compare(VectorOperators.EQ, 0f));
      r = r.blend(Float.POSITIVE_INFINITY, v.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
      r = r.blend(Float.NaN, v.compare(VectorOperators.LT, 0f).or(v.test(VectorOperators.IS_NAN)));
      r.intoArray(y, yo + i);
    }
  }

  /** y = tanh x as in {@link VMath64#tanh}; {@code t} is scratch of length ≥ n. */
  static void tanh(float[] x, int xo, float[] y, int yo, int n, float[] t) {
    for (int i = 0; i < n; i += L) {
      FloatVector a = FloatVector.fromArray(S, x, xo + i).abs();
      a.add(a).intoArray(t, i);
    }
    exp(t, 0, t, 0, n);
    FloatVector one = FloatVector.broadcast(S, 1f), two = FloatVector.broadcast(S, 2f);
    for (int i = 0; i < n; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xo + i);
      FloatVector z = v.mul(v);
      FloatVector p = FloatVector.broadcast(S, TANH_C[9])
          .fma(z, FloatVector.broadcast(S, TANH_C[8]))
          .fma(z, FloatVector.broadcast(S, TANH_C[7]))
          .fma(z, FloatVector.broadcast(S, TANH_C[6]))
          .fma(z, FloatVector.broadcast(S, TANH_C[5]))
          .fma(z, FloatVector.broadcast(S, TANH_C[4]))
          .fma(z, FloatVector.broadcast(S, TANH_C[3]))
          .fma(z, FloatVector.broadcast(S, TANH_C[2]))
          .fma(z, FloatVector.broadcast(S, TANH_C[1]))
          .fma(z, FloatVector.broadcast(S, TANH_C[0]));
      FloatVector small = v.mul(z).fma(p, v);
      FloatVector big = one.sub(two.div(FloatVector.fromArray(S, t, i).add(1f)));
      big = big.blend(big.neg(), v.compare(VectorOperators.LT, 0f));
      big.blend(small, v.abs().compare(VectorOperators.LT, TANH_SMALL)).intoArray(y, yo + i);
    }
  }

  /** y = 1/(1 + e⁻ˣ) as in {@link VMath64#sigmoid}; {@code t} is scratch of length ≥ n. */
  static void sigmoid(float[] x, int xo, float[] y, int yo, int n, float[] t) {
    for (int i = 0; i < n; i += L) FloatVector.fromArray(S, x, xo + i).abs().neg().intoArray(t, i);
    exp(t, 0, t, 0, n);
    FloatVector one = FloatVector.broadcast(S, 1f);
    for (int i = 0; i < n; i += L) {
      FloatVector e = FloatVector.fromArray(S, t, i);
      VectorMask<Float> neg = FloatVector.fromArray(S, x, xo + i).compare(VectorOperators.LT, 0f);
      one.blend(e, neg).div(e.add(1f)).intoArray(y, yo + i);
    }
  }
}
