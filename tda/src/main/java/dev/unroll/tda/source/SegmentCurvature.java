package dev.unroll.tda.source;

import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.curvature.DenseCurvature;
import dev.unroll.tda.curvature.KroneckerCurvature;
import dev.unroll.tda.curvature.SpectralFunction;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A segment's symmetric curvature G, already including weight decay and, for Adam-type stages, the
 * change of variables θ = P^{1/2}θ' (so G = P^{1/2}(H̄ + λI)P^{1/2} or P^{1/2}H̄P^{1/2} + λI), in
 * the form SOURCE uses it: spectral functions φ(G) applied to vectors in block order.
 */
public sealed interface SegmentCurvature {
  /** φ(G)·v for every row v of {@code v} [Q, P] (block order), float64 [Q, P]. */
  Tensor apply(SpectralFunction phi, Tensor v);

  /** φ_k(G)·v for each of several functions and every row of v [Q, P], sharing what can be shared (the rotation into the eigenbasis). */
  default List<Tensor> applyAll(List<SpectralFunction> phis, Tensor v) {
    List<Tensor> out = new ArrayList<>();
    for (SpectralFunction phi : phis) out.add(apply(phi, v));
    return out;
  }

  /** What the curvature is (e.g. {@code ekfac}, {@code hessian}). */
  String kind();

  /** The fit's arguments. */
  Map<String, String> settings();

  /** An explicit P × P curvature (small models). */
  record Dense(DenseCurvature curvature) implements SegmentCurvature {
    public Tensor apply(SpectralFunction phi, Tensor v) { return curvature.apply(phi, v); }

    public String kind() { return curvature.kind(); }

    public Map<String, String> settings() { return curvature.settings(); }
  }

  /** A block-diagonal Kronecker-eigenbasis curvature (K-FAC or EK-FAC), one φ for every block. */
  record Kronecker(KroneckerCurvature curvature) implements SegmentCurvature {
    public Tensor apply(SpectralFunction phi, Tensor v) { return curvature.apply(phi, v); }

    @Override
    public List<Tensor> applyAll(List<SpectralFunction> phis, Tensor v) {
      List<List<SpectralFunction>> perBlock = new ArrayList<>();
      for (SpectralFunction phi : phis) perBlock.add(Collections.nCopies(curvature.layers().size(), phi));
      return curvature.applyAll(perBlock, v);
    }

    public String kind() { return curvature.kind(); }

    public Map<String, String> settings() { return curvature.settings(); }
  }
}
