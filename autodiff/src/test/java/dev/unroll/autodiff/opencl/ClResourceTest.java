package dev.unroll.autodiff.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Ownership of device memory: a buffer is released once its last tensor is unreachable, exactly
 * once even when the backend's close comes later, and close releases whatever is still held.
 * Each test opens a backend of its own (never the shared one).
 */
class ClResourceTest {
  private static ClBackend own(Integer device) {
    Assumptions.assumeTrue(device != null, () -> "no OpenCL device, test skipped: " + ClDevices.problem());
    return OpenCl.open(device);
  }

  /** Collects until the condition holds (the cleaner runs on its own thread), at most ~10 s. */
  private static boolean collectUntil(BooleanSupplier done) throws InterruptedException {
    for (int i = 0; i < 200 && !done.getAsBoolean(); i++) {
      System.gc();
      Thread.sleep(50);
    }
    return done.getAsBoolean();
  }

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indices")
  void unreachableTensorsReleaseTheirBuffersExactlyOnce(Integer device) throws InterruptedException {
    try (ClBackend cl = own(device)) {
      Tensor kept = cl.fromCpu(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
      // Views share the buffer of `kept`; the temporaries of the loop become garbage.
      Tensor view = kept.t().slice(0, 1, 3);
      for (int i = 0; i < 50; i++) kept.exp().add(kept).sum();
      long allocated = cl.allocatedBuffers();
      assertTrue(allocated > 100, "the loop should have allocated buffers, got " + allocated);
      assertTrue(collectUntil(() -> cl.liveBuffers() == 1), "buffers still live after collection: " + cl.liveBuffers());
      assertEquals(allocated - 1, cl.releasedBuffers(), "every unreachable buffer released once");
      assertEquals(0, cl.releaseErrors(), "no release refused by OpenCL");
      // The surviving buffer is intact and still used by its views (reading a view copies it first).
      assertArrayEquals(new double[] {2, 5, 3, 6}, view.toDoubleArray());
      allocated = cl.allocatedBuffers();
      cl.close();
      assertEquals(0, cl.liveBuffers());
      assertEquals(allocated, cl.releasedBuffers(), "close released the last buffers");
      // The tensors outlive the backend; when the collector finds them nothing is released again.
      kept = null;
      view = null;
      for (int i = 0; i < 5; i++) {
        System.gc();
        Thread.sleep(50);
      }
      assertEquals(allocated, cl.releasedBuffers());
      assertEquals(0, cl.releaseErrors(), "a buffer was released twice");
    }
  }

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indices")
  void closeReleasesEverythingAndLaterUseIsAClearError(Integer device) {
    ClBackend cl = own(device);
    List<Tensor> held = new ArrayList<>();
    for (int i = 0; i < 20; i++) held.add(cl.fromCpu(Tensor.ones(DType.F32, 100, i + 1)));
    assertTrue(cl.liveBuffers() >= 20);
    assertTrue(cl.liveBytes() >= 4L * 100 * 210);
    cl.close();
    cl.close();
    assertTrue(cl.isClosed());
    assertEquals(0, cl.liveBuffers());
    assertEquals(0, cl.liveBytes());
    assertEquals(cl.allocatedBuffers(), cl.releasedBuffers());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> held.get(3).exp());
    assertTrue(e.getMessage().contains("closed") && e.getMessage().contains(cl.name()), e.getMessage());
    assertThrows(IllegalStateException.class, () -> held.get(0).toDoubleArray());
  }

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indices")
  void theSharedBackendOfADeviceIsOneObject(Integer device) {
    ClBackend shared = ClTestDevices.backend(device);
    assertTrue(shared == OpenCl.backend(device));
    assertTrue(OpenCl.devicesReport().contains(shared.device().name()));
  }
}
