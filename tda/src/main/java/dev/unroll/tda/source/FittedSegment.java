package dev.unroll.tda.source;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.curvature.SpectralFunction;
import java.util.List;

/**
 * A segment ready for scoring: its curvature G (in the preconditioned coordinates θ' = P^{-1/2}θ
 * for Adam-type stages; P = I for SGD) and the two spectral functions of its closed form,
 * φ_r (in-segment gain) and φ_S (propagation). In the original coordinates
 * <pre>
 *   S̄ = P^{1/2} φ_S(G) P^{-1/2}   (= exp(−c P(H̄ + λ)) for the exponential form)
 *   r̄(z) = P^{1/2} φ_r(G) P^{1/2} ḡ(z)   (= (I − exp(−cP(H̄ + λ)))(H̄ + λ)⁻¹ ḡ(z))
 * </pre>
 * and a query vector v is pulled back through them by their transposes ({@link #gain}, {@link #propagate}).
 */
public final class FittedSegment {
  private final SourceSegment segment;
  private final SegmentCurvature curvature;
  private final Tensor sqrtP, invSqrtP;
  private final SpectralFunction gain, propagate;

  FittedSegment(SourceSegment segment, SegmentCurvature curvature, Tensor preconditioner, SourceOptions.Form form) {
    this.segment = segment;
    this.curvature = curvature;
    if (preconditioner == null) {
      sqrtP = invSqrtP = null;
    } else {
      try (var g = GradMode.off()) {
        Tensor p = preconditioner.to(DType.F64);
        sqrtP = p.sqrt().reshape(1, p.numel()).contiguous();
        invSqrtP = sqrtP.pow(-1).contiguous();
      }
    }
    double c = segment.c();
    if (form == SourceOptions.Form.EXPONENTIAL) {
      gain = SpectralFunction.segmentGain(c);
      propagate = SpectralFunction.propagate(c);
    } else {
      gain = SpectralFunction.powerGain(segment.meanStep(), segment.steps());
      propagate = SpectralFunction.powerPropagate(segment.meanStep(), segment.steps());
    }
  }

  public SourceSegment segment() { return segment; }

  public SegmentCurvature curvature() { return curvature; }

  /** √P as [1, P] in block order, or null for SGD. */
  public Tensor sqrtPreconditioner() { return sqrtP; }

  /** φ_r. */
  public SpectralFunction gainFunction() { return gain; }

  /** φ_S. */
  public SpectralFunction propagateFunction() { return propagate; }

  /** u = P^{1/2} φ_r(G) P^{1/2} v for every row of v [Q, P]: then τ_ℓ(q, z) = ⟨u, ḡ(z)⟩ = vᵀ r̄(z). */
  public Tensor gain(Tensor v) {
    try (var g = GradMode.off()) {
      if (sqrtP == null) return curvature.apply(gain, v);
      return curvature.apply(gain, v.to(DType.F64).mul(sqrtP)).mul(sqrtP);
    }
  }

  /** {{@link #gain}(v), {@link #propagate}(v)} with one rotation into the curvature's eigenbasis. */
  public Tensor[] gainAndPropagate(Tensor v) {
    try (var g = GradMode.off()) {
      Tensor x = sqrtP == null ? v : v.to(DType.F64).mul(sqrtP);
      List<Tensor> r = curvature.applyAll(List.of(gain, propagate), x);
      if (sqrtP == null) return new Tensor[] {r.get(0), r.get(1)};
      return new Tensor[] {r.get(0).mul(sqrtP), r.get(1).mul(invSqrtP)};
    }
  }

  /** S̄ᵀv = P^{-1/2} φ_S(G) P^{1/2} v for every row of v [Q, P]. */
  public Tensor propagate(Tensor v) {
    try (var g = GradMode.off()) {
      if (sqrtP == null) return curvature.apply(propagate, v);
      return curvature.apply(propagate, v.to(DType.F64).mul(sqrtP)).mul(invSqrtP);
    }
  }
}
