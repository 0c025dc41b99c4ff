package dev.unroll.autodiff.opencl;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.GradCheck;
import dev.unroll.autodiff.Op;
import dev.unroll.autodiff.OpCases;
import dev.unroll.autodiff.Tensor;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Entry points of the OpenCL backend: the device report, the shared backend of each device, and
 * the gradient checks of every op run on a device (for {@code unroll selfcheck}).
 */
public final class OpenCl {
  private OpenCl() {}

  private static final Map<Integer, ClBackend> SHARED = new HashMap<>();

  /** True when at least one OpenCL device was found. */
  public static boolean available() {
    return !ClDevices.list().isEmpty();
  }

  public static List<ClDevice> devices() {
    return ClDevices.list();
  }

  /**
   * One line per device (index, name, vendor, platform, type, compute units, clock, fp64, global
   * memory, version), or the reason there is none.
   */
  public static String devicesReport() {
    ClDevices.Discovery d = ClDevices.discover();
    if (d.devices().isEmpty()) return "OpenCL: no device (" + d.problem() + ")\n";
    StringBuilder sb = new StringBuilder("OpenCL devices:\n");
    for (ClDevice dev : d.devices()) sb.append("  ").append(dev.describe()).append('\n');
    return sb.toString();
  }

  /**
   * The process-wide backend of device {@code index} (as in {@code UNROLL_DEVICE=opencl:N}),
   * opened on first use. It is shared: do not close it; it lives until the process ends. For a
   * backend of your own, use {@link #open(int)}.
   */
  public static synchronized ClBackend backend(int index) {
    ClBackend b = SHARED.get(index);
    if (b == null || b.isClosed()) {
      b = ClBackend.open(device(index));
      SHARED.put(index, b);
    }
    return b;
  }

  /** A new backend on device {@code index} that the caller owns and must close. */
  public static ClBackend open(int index) {
    return ClBackend.open(device(index));
  }

  private static ClDevice device(int index) {
    List<ClDevice> ds = ClDevices.list();
    if (ds.isEmpty()) throw new IllegalStateException("no OpenCL device: " + ClDevices.problem());
    if (index < 0 || index >= ds.size()) {
      throw new IllegalArgumentException("no OpenCL device " + index + "; there are " + ds.size() + ":\n" + devicesReport());
    }
    return ds.get(index);
  }

  /**
   * {@code fn} computed on {@code backend}: its (CPU) inputs are moved there, its result is moved
   * back to the CPU. The moves are differentiable, so gradients and Hessian-vector products of the
   * wrapped function run every forward and backward kernel on the device.
   */
  public static Function<List<Tensor>, Tensor> onBackend(Backend backend, Function<List<Tensor>, Tensor> fn) {
    return xs -> {
      List<Tensor> moved = new ArrayList<>(xs.size());
      for (Tensor x : xs) moved.add(x.to(backend));
      Tensor y = fn.apply(moved);
      return y.backend().isCpu() ? y : y.to(Backends.cpu());
    };
  }

  /** The gradient checks of every op ({@link OpCases}) with all kernels on {@code backend}, in float64. */
  public static Map<Op, GradCheck.Result> gradCheck(Backend backend) {
    Map<Op, GradCheck.Result> out = new EnumMap<>(Op.class);
    for (Map.Entry<Op, OpCases.Case> e : OpCases.all().entrySet()) {
      OpCases.Case c = e.getValue();
      out.put(e.getKey(), GradCheck.check(onBackend(backend, c.fn()), c.inputs(), e.getKey().ordinal()));
    }
    return out;
  }
}
