package dev.unroll.autodiff;

import java.util.function.Supplier;

/**
 * The backends of this process, and the CPU backend the current thread computes with. CPU tensors
 * carry no binding to a particular CPU backend: any CPU tensor is computed by {@link #cpu()}, so the
 * same code runs on the scalar oracle or the SIMD kernels by switching the thread's choice.
 */
public final class Backends {
  private Backends() {}

  public static final CpuBackend SCALAR = new CpuBackend(CpuKernels.SCALAR);
  public static final CpuBackend SIMD = new CpuBackend(SimdKernels.INSTANCE);

  private static final ThreadLocal<Backend> CURRENT_CPU = ThreadLocal.withInitial(() -> SIMD);

  /** The CPU backend of the current thread (SIMD unless changed). */
  public static Backend cpu() {
    return CURRENT_CPU.get();
  }

  /** Runs {@code body} with {@code cpu} as the current thread's CPU backend. */
  public static <T> T withCpu(Backend cpu, Supplier<T> body) {
    if (!cpu.isCpu()) throw new IllegalArgumentException(cpu.name() + " is not a CPU backend");
    Backend prev = CURRENT_CPU.get();
    CURRENT_CPU.set(cpu);
    try {
      return body.get();
    } finally {
      CURRENT_CPU.set(prev);
    }
  }

  /** The backend computing an op on these operands; they must live on one device. */
  static Backend dispatch(String op, Tensor a) {
    return a.backend.isCpu() ? cpu() : a.backend;
  }

  static Backend dispatch(String op, Tensor a, Tensor b) {
    if (a.dtype != b.dtype) {
      throw new IllegalArgumentException(op + ": dtype mismatch " + a.dtype + " vs " + b.dtype + " (shapes " + Shape.str(a.shape) + " and " + Shape.str(b.shape) + "); convert one explicitly with .to(DType)");
    }
    if (a.backend.isCpu() && b.backend.isCpu()) return cpu();
    if (a.backend != b.backend) {
      throw new IllegalArgumentException(op + ": operands on different devices (" + a.backend.name() + " and " + b.backend.name() + "); move one with .to(Backend)");
    }
    return a.backend;
  }
}
