package dev.unroll.autodiff.opencl;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The backends that tests of other modules run against: the CPU SIMD backend, and every OpenCL
 * device of the machine. Without a device the OpenCL case is still listed, and a test that asks for
 * it is reported as skipped with the reason (printed once), never silently passed.
 */
public final class TestBackends {
  private TestBackends() {}

  public static final String CPU = "cpu";

  static {
    if (ClDevices.list().isEmpty()) System.err.println("OpenCL cases skipped: " + ClDevices.problem());
  }

  /** "cpu", then "opencl:N" for every device (or a single "opencl" when there is none). */
  public static Stream<String> names() {
    List<String> out = new ArrayList<>(List.of(CPU));
    out.addAll(openClNames());
    return out.stream();
  }

  /** "opencl:N" for every device, or a single "opencl" when there is none (it skips). */
  public static List<String> openClNames() {
    List<String> out = new ArrayList<>();
    List<ClDevice> ds = ClDevices.list();
    if (ds.isEmpty()) out.add("opencl");
    for (ClDevice d : ds) out.add("opencl:" + d.index());
    return out;
  }

  /** The backend of a name from {@link #names()}: the shared backend of a device, or a skipped test saying why there is none. */
  public static Backend backend(String name) {
    if (name.equals(CPU)) return Backends.SIMD;
    Assumptions.assumeTrue(name.startsWith("opencl:"), () -> "no OpenCL device, test skipped: " + ClDevices.problem());
    return OpenCl.backend(Integer.parseInt(name.substring(7)));
  }

  /** True when the backend of {@code name} has float64 (the CPU always). */
  public static boolean float64(String name) {
    Backend b = backend(name);
    return b.isCpu() || ((ClBackend) b).supportsFloat64();
  }

  /** The device behind an OpenCL name (null for the CPU). */
  public static ClDevice device(String name) {
    Backend b = backend(name);
    return b instanceof ClBackend cl ? cl.device() : null;
  }
}
