package dev.unroll.autodiff.opencl;

import dev.unroll.autodiff.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The OpenCL devices the tests run on. Without a device every OpenCL test is reported as skipped
 * with the reason (and the reason is printed once), never silently passed.
 */
final class ClTestDevices {
  private ClTestDevices() {}

  static final List<ClDevice> DEVICES = ClDevices.list();

  static {
    if (DEVICES.isEmpty()) System.err.println("OpenCL tests skipped: " + ClDevices.problem());
  }

  /** One argument per device index; a single null when there is none (the test then skips). */
  static Stream<Integer> indices() {
    if (DEVICES.isEmpty()) return Stream.of((Integer) null);
    return DEVICES.stream().map(ClDevice::index);
  }

  /** (device index, dtype) pairs for the dtypes each device supports. */
  static Stream<Arguments> indicesAndTypes() {
    if (DEVICES.isEmpty()) return Stream.of(Arguments.of(null, DType.F32));
    List<Arguments> out = new ArrayList<>();
    for (ClDevice d : DEVICES) {
      out.add(Arguments.of(d.index(), DType.F32));
      if (d.fp64()) out.add(Arguments.of(d.index(), DType.F64));
    }
    return out.stream();
  }

  /** The shared backend of a device, or a skipped test saying why there is no device. */
  static ClBackend backend(Integer index) {
    Assumptions.assumeTrue(index != null, () -> "no OpenCL device, test skipped: " + ClDevices.problem());
    return OpenCl.backend(index);
  }
}
