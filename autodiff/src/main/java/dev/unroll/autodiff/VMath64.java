package dev.unroll.autodiff;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, log, tanh and sigmoid over float64 arrays on vectors, within about 1–2 ulp of {@link Math}.
 *
 * <p>They are built only from IEEE-exact lane operations (add, multiply, fused multiply-add,
 * divide, compares, bit moves), never from the Vector API's own transcendental operators: those
 * run a native vector library once compiled but a per-lane Java loop before, so the same input
 * could give different bits early and late in a run. These give the same bits in every mode.
 *
 * <p>Each method maps whole vectors: n must be a multiple of {@code S.length()}. Each is one loop
 * with no calls that take or return vectors, so the JIT keeps every vector in registers; tanh and
 * sigmoid compose with exp through a scratch array for the same reason.
 */
final class VMath64 {
  private VMath64() {}

  static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private static final double LOG2E = 1.4426950408889634;
  /** ln 2 = LN2_HI + LN2_LO, LN2_HI with 21 significant bits so that k·LN2_HI is exact. */
  private static final double LN2_HI = 0.6931467056274414;
  private static final double LN2_LO = 4.7493250390316726e-07;
  /** 1.5·2⁵²: adding it rounds a double of magnitude below 2⁵¹ to an integer, kept in the low bits. */
  private static final double SHIFTER = 6755399441055744.0;
  private static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);
  private static final double SQRT2 = 1.4142135623730951;
  private static final double TWO54 = 18014398509481984.0;

  /** 1/n! for n = 2..13: the Taylor series of eʳ − 1 − r, enough for |r| ≤ ln2/2 to 2⁻⁵⁸. */
  private static final double[] EXP_C = {
      0.5, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320, 1.0 / 362880,
      1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0};

  /**
   * Taylor coefficients c_1..c_21 of tanh x = Σ c_n x^(2n+1) (c_0 = 1), the exact rationals of the
   * recurrence (n+1)·c'_(n+1) = [n = 0] − Σ c'_i c'_(n−i) for y' = 1 − y², rounded to double;
   * 22 terms reach 2⁻⁵⁶ relative accuracy for |x| &lt; 0.625.
   */
  private static final double[] TANH_C = {
      -0.3333333333333333, 0.13333333333333333, -0.05396825396825397, 0.021869488536155203,
      -0.008863235529902197, 0.003592128036572481, -0.0014558343870513183, 0.000590027440945586,
      -0.00023912911424355248, 9.691537956929451e-05, -3.927832388331683e-05, 1.5918905069328964e-05,
      -6.451689215655431e-06, 2.6147711512907546e-06, -1.0597268320104654e-06, 4.294911078273806e-07,
      -1.7406618963571648e-07, 7.054636946400968e-08, -2.859136662305254e-08, 1.1587644432798853e-08,
      -4.6962953982309016e-09};
  private static final double TANH_SMALL = 0.625;

  /** 2/(2j+1) for j = 1..10: the series R(s²) of {@link #log}, to s²⁰. */
  private static final double[] LOG_C = {
      2.0 / 3, 2.0 / 5, 2.0 / 7, 2.0 / 9, 2.0 / 11, 2.0 / 13, 2.0 / 15, 2.0 / 17, 2.0 / 19, 2.0 / 21};

  /**
   * y = eˣ: x = k·ln2 + r with |r| ≤ ln2/2, eʳ by its Taylor polynomial, then two exact scalings by
   * 2^⌊k/2⌋ and 2^(k−⌊k/2⌋), so that neither overflows for k = 1024 and a subnormal result is
   * rounded once. x is clamped to [−746, 710] first (beyond, the result is 0 or ∞ anyway); NaN
   * passes through.
   */
  static void exp(double[] x, int xo, double[] y, int yo, int n) {
    DoubleVector lo = DoubleVector.broadcast(S, -LN2_LO), hi = DoubleVector.broadcast(S, -LN2_HI);
    for (int i = 0; i < n; i += L) {
      DoubleVector xc = DoubleVector.fromArray(S, x, xo + i).max(-746.0).min(710.0);
      DoubleVector t = xc.fma(LOG2E, SHIFTER);
      DoubleVector kd = t.sub(SHIFTER);
      DoubleVector r = kd.fma(hi, xc);
      r = kd.fma(lo, r);
      DoubleVector p = DoubleVector.broadcast(S, EXP_C[11])
          .fma(r, DoubleVector.broadcast(S, EXP_C[10]))
          .fma(r, DoubleVector.broadcast(S, EXP_C[9]))
          .fma(r, DoubleVector.broadcast(S, EXP_C[8]))
          .fma(r, DoubleVector.broadcast(S, EXP_C[7]))
          .fma(r, DoubleVector.broadcast(S, EXP_C[6]))
          .fma(r, DoubleVector.broadcast(S, EXP_C[5]))
          .fma(r, DoubleVector.broadcast(S, EXP_C[4]))
          .fma(r, DoubleVector.broadcast(S, EXP_C[3]))
          .fma(r, DoubleVector.broadcast(S, EXP_C[2]))
          .fma(r, DoubleVector.broadcast(S, EXP_C[1]))
          .fma(r, DoubleVector.broadcast(S, EXP_C[0]));
      p = p.mul(r).fma(r, r).add(1.0);
      LongVector k = t.reinterpretAsLongs().sub(SHIFTER_BITS);
      // ⌊k/2⌋ by a logical shift of k + 2048 ≥ 0 (AVX2 has no 64-bit arithmetic shift).
      LongVector k1 = k.add(2048).lanewise(VectorOperators.LSHR, 1).sub(1024);
      LongVector k2 = k.sub(k1);
      DoubleVector s1 = k1.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
      DoubleVector s2 = k2.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
      p.mul(s1).mul(s2).intoArray(y, yo + i);
    }
  }

  /**
   * y = ln x: x = 2ᵉ·m with m in [√½, √2), f = m − 1, s = f/(2+f) and
   * ln m = f − (f²/2 − s·(f²/2 + R)), R = 2s²/3 + 2s⁴/5 + … (the tail of 2·atanh(s)/s − 2, to s²⁰);
   * then e·ln2 added in two parts. ln 0 = −∞, ln of a negative number or NaN is NaN, ln ∞ = ∞.
   */
  static void log(double[] x, int xo, double[] y, int yo, int n) {
    for (int i = 0; i < n; i += L) {
      DoubleVector v = DoubleVector.fromArray(S, x, xo + i);
      VectorMask<Double> sub = v.compare(VectorOperators.LT, Double.MIN_NORMAL);
      LongVector bits = v.blend(v.mul(TWO54), sub).reinterpretAsLongs();
      LongVector e = bits.lanewise(VectorOperators.LSHR, 52).and(0x7ffL).sub(1023);
      e = e.blend(e.sub(54), sub.cast(e.species()));
      DoubleVector m = bits.and(0x000fffffffffffffL).or(0x3ff0000000000000L).reinterpretAsDoubles();
      VectorMask<Double> high = m.compare(VectorOperators.GT, SQRT2);
      m = m.blend(m.mul(0.5), high);
      e = e.blend(e.add(1), high.cast(e.species()));
      // Exact long → double for |e| < 2⁵¹ without the conversion instruction AVX2 lacks.
      DoubleVector dk = e.add(SHIFTER_BITS).reinterpretAsDoubles().sub(SHIFTER);
      DoubleVector f = m.sub(1.0);
      DoubleVector s = f.div(f.add(2.0));
      DoubleVector z = s.mul(s);
      DoubleVector rr = DoubleVector.broadcast(S, LOG_C[9])
          .fma(z, DoubleVector.broadcast(S, LOG_C[8]))
          .fma(z, DoubleVector.broadcast(S, LOG_C[7]))
          .fma(z, DoubleVector.broadcast(S, LOG_C[6]))
          .fma(z, DoubleVector.broadcast(S, LOG_C[5]))
          .fma(z, DoubleVector.broadcast(S, LOG_C[4]))
          .fma(z, DoubleVector.broadcast(S, LOG_C[3]))
          .fma(z, DoubleVector.broadcast(S, LOG_C[2]))
          .fma(z, DoubleVector.broadcast(S, LOG_C[1]))
          .fma(z, DoubleVector.broadcast(S, LOG_C[0]));
      rr = rr.mul(z);
      DoubleVector hfsq = f.mul(f).mul(0.5);
      DoubleVector tail = s.mul(hfsq.add(rr)).add(dk.mul(LN2_LO));
      DoubleVector r = dk.mul(LN2_HI).add(f.sub(hfsq.sub(tail)));
      r = r.blend(Double.NEGATIVE_INFINITY, v.compare(VectorOperators.EQ, 0.0));
      r = r.blend(Double.POSITIVE_INFINITY, v.compare(VectorOperators.EQ, Double.POSITIVE_INFINITY));
      r = r.blend(Double.NaN, v.compare(VectorOperators.LT, 0.0).or(v.test(VectorOperators.IS_NAN)));
      r.intoArray(y, yo + i);
    }
  }

  /**
   * y = tanh x: its Taylor series for |x| &lt; 0.625, else sign(x)·(1 − 2/(e^(2|x|) + 1)) (no
   * cancellation there: the result is above 0.55). {@code t} is scratch of length ≥ n.
   */
  static void tanh(double[] x, int xo, double[] y, int yo, int n, double[] t) {
    for (int i = 0; i < n; i += L) {
      DoubleVector a = DoubleVector.fromArray(S, x, xo + i).abs();
      a.add(a).intoArray(t, i);
    }
    exp(t, 0, t, 0, n);
    DoubleVector one = DoubleVector.broadcast(S, 1.0), two = DoubleVector.broadcast(S, 2.0);
    for (int i = 0; i < n; i += L) {
      DoubleVector v = DoubleVector.fromArray(S, x, xo + i);
      DoubleVector z = v.mul(v);
      DoubleVector p = DoubleVector.broadcast(S, TANH_C[20])
          .fma(z, DoubleVector.broadcast(S, TANH_C[19]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[18]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[17]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[16]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[15]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[14]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[13]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[12]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[11]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[10]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[9]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[8]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[7]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[6]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[5]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[4]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[3]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[2]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[1]))
          .fma(z, DoubleVector.broadcast(S, TANH_C[0]));
      DoubleVector small = v.mul(z).fma(p, v);
      DoubleVector big = one.sub(two.div(DoubleVector.fromArray(S, t, i).add(1.0)));
      big = big.blend(big.neg(), v.compare(VectorOperators.LT, 0.0));
      big.blend(small, v.abs().compare(VectorOperators.LT, TANH_SMALL)).intoArray(y, yo + i);
    }
  }

  /**
   * y = 1/(1 + e⁻ˣ), as 1/(1 + e^−|x|) for x ≥ 0 and e^−|x|/(1 + e^−|x|) below, the reference's
   * formula. {@code t} is scratch of length ≥ n.
   */
  static void sigmoid(double[] x, int xo, double[] y, int yo, int n, double[] t) {
    for (int i = 0; i < n; i += L) DoubleVector.fromArray(S, x, xo + i).abs().neg().intoArray(t, i);
    exp(t, 0, t, 0, n);
    DoubleVector one = DoubleVector.broadcast(S, 1.0);
    for (int i = 0; i < n; i += L) {
      DoubleVector e = DoubleVector.fromArray(S, t, i);
      VectorMask<Double> neg = DoubleVector.fromArray(S, x, xo + i).compare(VectorOperators.LT, 0.0);
      one.blend(e, neg).div(e.add(1.0)).intoArray(y, yo + i);
    }
  }
}
