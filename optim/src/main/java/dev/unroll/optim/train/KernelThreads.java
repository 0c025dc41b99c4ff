package dev.unroll.optim.train;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.function.Supplier;

/**
 * Runs work with the autodiff kernels of the current thread limited to one thread, so that many
 * small models trained side by side, one per thread, do not compete for the cores. The kernels'
 * thread pool ({@code dev.unroll.autodiff.Parallel.withThreads}) is looked up by name because it
 * belongs to the SIMD kernels, which this module must also build without; where it is absent the
 * kernels are single-threaded already and the work runs as it is.
 */
public final class KernelThreads {
  private KernelThreads() {}

  private static final MethodHandle WITH_THREADS = find();

  private static MethodHandle find() {
    try {
      Class<?> c = Class.forName("dev.unroll.autodiff.Parallel");
      return MethodHandles.publicLookup().findStatic(c, "withThreads", MethodType.methodType(Object.class, int.class, Supplier.class));
    } catch (ReflectiveOperationException | LinkageError e) {
      return null;
    }
  }

  /** {@code body} with one kernel thread on this thread. */
  @SuppressWarnings("unchecked")
  public static <T> T single(Supplier<T> body) {
    if (WITH_THREADS == null) return body.get();
    try {
      return (T) WITH_THREADS.invoke(1, body);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }
}
