package dev.unroll.nn;

import dev.unroll.autodiff.Tensor;

/**
 * The regression measurement f = |ŷ − y| (method.md §1). For several outputs it is the sum over
 * outputs Σⱼ |ŷⱼ − yⱼ|. Its derivative is sign(ŷ − y) (0 where ŷ = y).
 */
public final class AbsoluteError implements Measurement {
  @Override
  public Tensor perExample(Tensor output, Targets y) {
    return MseLoss.Residuals.of("AbsoluteError", output, y).abs().sum(1);
  }

  @Override
  public String toString() {
    return "AbsoluteError";
  }
}
