package dev.unroll.autodiff;

/** Vector API kernels (placeholder delegating to the scalar loops until the SIMD kernels land). */
public final class SimdKernels {
  private SimdKernels() {}

  public static final CpuKernels INSTANCE = CpuKernels.SCALAR;
}
