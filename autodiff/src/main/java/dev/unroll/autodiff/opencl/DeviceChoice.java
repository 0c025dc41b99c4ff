package dev.unroll.autodiff.opencl;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Which backend to compute on, from the option {@code -Dunroll.device} or else the environment
 * variable {@code UNROLL_DEVICE}:
 * <ul>
 *   <li>{@code cpu}: the CPU SIMD backend;</li>
 *   <li>{@code opencl}: the fastest OpenCL device, GPUs before others;</li>
 *   <li>{@code opencl:N}: OpenCL device N of {@link ClDevices#list()};</li>
 *   <li>unset or {@code auto}: the fastest OpenCL GPU if there is one, else the CPU SIMD backend.</li>
 * </ul>
 * "Fastest" is the largest compute units × clock. When OpenCL cannot be used — no loader, no
 * device, a device that fails to open — the choice is the CPU backend with one message saying why;
 * only a malformed setting or an index past the last device is an error.
 */
public final class DeviceChoice {
  private DeviceChoice() {}

  public static final String PROPERTY = "unroll.device";
  public static final String ENVIRONMENT = "UNROLL_DEVICE";

  /** The backend chosen and, when it is not what was asked for or the default looked for, why. */
  public record Choice(Backend backend, String message) {}

  private static boolean told;

  /** The backend the option or environment asks for; prints the message of a fallback once to stderr. */
  public static Backend fromEnvironment() {
    String spec = System.getProperty(PROPERTY);
    if (spec == null) spec = System.getenv(ENVIRONMENT);
    Choice c = choose(spec);
    synchronized (DeviceChoice.class) {
      if (c.message() != null && !told) {
        told = true;
        System.err.println(c.message());
      }
    }
    return c.backend();
  }

  /** The backend for a setting ({@code null} for the default) over this machine's devices. */
  public static Choice choose(String spec) {
    return choose(spec, ClDevices::discover, OpenCl::backend);
  }

  /** The choice over given devices, opening device i with {@code open} (tests pass fakes). */
  static Choice choose(String spec, Supplier<ClDevices.Discovery> discovery, IntFunction<Backend> open) {
    String s = spec == null ? "auto" : spec.trim().toLowerCase();
    if (s.isEmpty()) s = "auto";
    Backend cpu = Backends.SIMD;
    if (s.equals("cpu")) return new Choice(cpu, null);
    boolean auto = s.equals("auto");
    Integer index = null;
    if (s.startsWith("opencl:")) {
      try {
        index = Integer.parseInt(s.substring(7));
      } catch (NumberFormatException e) {
        index = -1;
      }
      if (index < 0) throw new IllegalArgumentException(setting(spec) + ": expected cpu, opencl or opencl:N with N a device number");
    } else if (!auto && !s.equals("opencl")) {
      throw new IllegalArgumentException(setting(spec) + ": expected cpu, opencl or opencl:N");
    }
    ClDevices.Discovery d;
    try {
      d = discovery.get();
    } catch (LinkageError | RuntimeException e) {
      d = new ClDevices.Discovery(List.of(), "OpenCL could not be initialised (" + e + ")");
    }
    List<ClDevice> devices = d.devices();
    if (devices.isEmpty()) return new Choice(cpu, "OpenCL unavailable: " + d.problem() + "; computing on the CPU (" + cpu.name() + ")");
    ClDevice pick;
    if (index != null) {
      if (index >= devices.size()) throw new IllegalArgumentException(setting(spec) + ": there is no OpenCL device " + index + "; found " + devices.size() + ": " + names(devices));
      pick = devices.get(index);
    } else {
      List<ClDevice> ranked = devices.stream().filter(x -> !auto || x.isGpu())
          .sorted(Comparator.comparing((ClDevice x) -> !x.isGpu()).thenComparing(ClDevice::score, Comparator.reverseOrder())).toList();
      if (ranked.isEmpty()) return new Choice(cpu, "no OpenCL GPU (found " + names(devices) + "); computing on the CPU (" + cpu.name() + "); set " + ENVIRONMENT + "=opencl:N to use an OpenCL device anyway");
      pick = ranked.get(0);
    }
    try {
      return new Choice(open.apply(pick.index()), null);
    } catch (LinkageError | RuntimeException e) {
      return new Choice(cpu, "OpenCL device " + pick.index() + " (" + pick.name() + ") could not be opened (" + e.getMessage() + "); computing on the CPU (" + cpu.name() + ")");
    }
  }

  private static String setting(String spec) {
    return ENVIRONMENT + " / -D" + PROPERTY + " = '" + spec + "'";
  }

  private static String names(List<ClDevice> devices) {
    StringBuilder sb = new StringBuilder();
    for (ClDevice x : devices) sb.append(sb.length() == 0 ? "" : ", ").append("opencl:").append(x.index()).append(' ').append(x.name()).append(" (").append(x.type()).append(')');
    return sb.toString();
  }
}
