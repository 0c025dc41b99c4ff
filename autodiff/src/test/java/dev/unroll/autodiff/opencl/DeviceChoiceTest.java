package dev.unroll.autodiff.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.BinaryOp;
import dev.unroll.autodiff.ConvGeometry;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.UnaryOp;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/** The UNROLL_DEVICE setting over fake device lists: defaults, explicit choices, and every fallback. */
class DeviceChoiceTest {
  static ClDevice device(int index, String type, int units, int mhz) {
    return new ClDevice(index, "fake platform", "fake " + type + " " + index, "vendor", "OpenCL 3.0", type, units, mhz, true, true,
        1L << 32, 1L << 30, 256, null, null);
  }

  /** Records which device index was opened and returns a stand-in backend for it. */
  static final class Opener implements IntFunction<Backend> {
    final List<Integer> opened = new ArrayList<>();

    @Override
    public Backend apply(int i) {
      opened.add(i);
      return new Named("opened " + i);
    }
  }

  static final List<ClDevice> MIXED = List.of(device(0, "CPU", 64, 3000), device(1, "GPU", 20, 1500), device(2, "GPU", 80, 1400), device(3, "ACCELERATOR", 500, 1000));

  static DeviceChoice.Choice choose(String spec, List<ClDevice> devices, String problem, Opener o) {
    return DeviceChoice.choose(spec, () -> new ClDevices.Discovery(devices, problem), o);
  }

  @Test
  void theDefaultIsTheFastestGpu() {
    Opener o = new Opener();
    DeviceChoice.Choice c = choose(null, MIXED, null, o);
    assertEquals(List.of(2), o.opened);
    assertEquals("opened 2", c.backend().name());
    assertNull(c.message());
    assertEquals(List.of(2), pick("auto", MIXED));
    assertEquals(List.of(2), pick("  ", MIXED));
  }

  @Test
  void openclPrefersGpusAndOpenclNPicksDeviceN() {
    assertEquals(List.of(2), pick("opencl", MIXED));
    assertEquals(List.of(0), pick("opencl", List.of(device(0, "CPU", 2, 2000))));
    assertEquals(List.of(3), pick("OpenCL:3", MIXED));
    assertEquals(List.of(0), pick("opencl:0", MIXED));
  }

  @Test
  void cpuNeedsNoOpenCl() {
    Opener o = new Opener();
    DeviceChoice.Choice c = DeviceChoice.choose("cpu", () -> {
      throw new AssertionError("cpu must not look for OpenCL devices");
    }, o);
    assertSame(Backends.SIMD, c.backend());
    assertNull(c.message());
  }

  @Test
  void withoutAGpuTheDefaultIsTheCpuWithAMessage() {
    Opener o = new Opener();
    DeviceChoice.Choice c = choose(null, List.of(device(0, "CPU", 2, 2000)), null, o);
    assertSame(Backends.SIMD, c.backend());
    assertTrue(o.opened.isEmpty());
    assertTrue(c.message().contains("no OpenCL GPU") && c.message().contains("opencl:0"), c.message());
  }

  @Test
  void aMissingLoaderGivesTheCpuAndOneClearMessage() {
    for (String spec : new String[] {null, "opencl", "opencl:1"}) {
      Opener o = new Opener();
      DeviceChoice.Choice c = DeviceChoice.choose(spec, () -> {
        throw new UnsatisfiedLinkError("Could not initialize native OpenCL library");
      }, o);
      assertSame(Backends.SIMD, c.backend());
      assertTrue(o.opened.isEmpty());
      assertTrue(c.message().startsWith("OpenCL unavailable") && c.message().contains("Could not initialize native OpenCL library")
          && c.message().contains("computing on the CPU"), c.message());
    }
  }

  @Test
  void noDeviceGivesTheCpuWithTheDiscoveryProblem() {
    Opener o = new Opener();
    DeviceChoice.Choice c = choose("opencl", List.of(), "no OpenCL platform is installed", o);
    assertSame(Backends.SIMD, c.backend());
    assertTrue(c.message().contains("no OpenCL platform is installed"), c.message());
  }

  @Test
  void aDeviceThatFailsToOpenGivesTheCpuWithTheReason() {
    DeviceChoice.Choice c = DeviceChoice.choose("opencl:1", () -> new ClDevices.Discovery(MIXED, null), i -> {
      throw new IllegalStateException("kernels failed to build");
    });
    assertSame(Backends.SIMD, c.backend());
    assertTrue(c.message().contains("kernels failed to build") && c.message().contains("fake GPU 1"), c.message());
  }

  @Test
  void malformedSettingsAndMissingDevicesAreErrors() {
    for (String bad : new String[] {"gpu", "opencl:", "opencl:x", "opencl:-1", "cuda"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pick(bad, MIXED));
      assertTrue(e.getMessage().contains("UNROLL_DEVICE") && e.getMessage().contains("opencl:N"), e.getMessage());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pick("opencl:4", MIXED));
    assertTrue(e.getMessage().contains("no OpenCL device 4") && e.getMessage().contains("fake GPU 2"), e.getMessage());
  }

  private static List<Integer> pick(String spec, List<ClDevice> devices) {
    Opener o = new Opener();
    choose(spec, devices, null, o);
    return o.opened;
  }

  /** A backend that only has a name. */
  record Named(String name) implements Backend {
    public boolean isCpu() { return false; }
    public Tensor toCpu(Tensor x) { throw new UnsupportedOperationException(); }
    public Tensor fromCpu(Tensor x) { throw new UnsupportedOperationException(); }
    public Tensor unary(UnaryOp op, Tensor x) { throw new UnsupportedOperationException(); }
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) { throw new UnsupportedOperationException(); }
    public Tensor matmul(Tensor a, Tensor b) { throw new UnsupportedOperationException(); }
    public Tensor reduce(BinaryOp op, Tensor x, int[] axes) { throw new UnsupportedOperationException(); }
    public Tensor contiguous(Tensor x) { throw new UnsupportedOperationException(); }
    public Tensor cast(Tensor x, DType t) { throw new UnsupportedOperationException(); }
    public Tensor where(Tensor mask, Tensor a, Tensor b) { throw new UnsupportedOperationException(); }
    public Tensor gather(Tensor x, int axis, int[] index, int[] indexShape) { throw new UnsupportedOperationException(); }
    public Tensor scatterAdd(Tensor src, int axis, int[] index, int[] outShape) { throw new UnsupportedOperationException(); }
    public Tensor concat(int axis, Tensor[] xs) { throw new UnsupportedOperationException(); }
    public Tensor pad(Tensor x, int axis, int before, int total) { throw new UnsupportedOperationException(); }
    public Tensor im2col(Tensor x, ConvGeometry g) { throw new UnsupportedOperationException(); }
    public Tensor col2im(Tensor cols, ConvGeometry g) { throw new UnsupportedOperationException(); }
    public void copyInto(Tensor src, Tensor dst) { throw new UnsupportedOperationException(); }
  }
}
