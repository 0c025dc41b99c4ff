package dev.unroll.autodiff.opencl;

import static org.jocl.CL.*;

import java.util.ArrayList;
import java.util.List;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * Discovery of the OpenCL devices of this machine, once per process. A missing OpenCL loader
 * (JOCL reports it as an {@link UnsatisfiedLinkError}), no platform or no device are not errors
 * here: the list is empty and {@link #problem()} says why.
 */
public final class ClDevices {
  private ClDevices() {}

  /** The devices found, in platform order, and why there are none when the list is empty. */
  public record Discovery(List<ClDevice> devices, String problem) {}

  private static Discovery cached;

  /** Every OpenCL device, indexed as in {@code UNROLL_DEVICE=opencl:N}; empty when OpenCL is unavailable. */
  public static List<ClDevice> list() {
    return discover().devices();
  }

  /** Why {@link #list()} is empty (null when it is not). */
  public static String problem() {
    return discover().problem();
  }

  public static synchronized Discovery discover() {
    if (cached == null) cached = probe();
    return cached;
  }

  private static Discovery probe() {
    List<ClDevice> out = new ArrayList<>();
    try {
      CL.setExceptionsEnabled(true);
      int[] count = new int[1];
      try {
        clGetPlatformIDs(0, null, count);
      } catch (CLException e) {
        // The ICD loader reports "no platform" as an error code.
        if (e.getStatus() == CL_PLATFORM_NOT_FOUND_KHR) return new Discovery(List.of(), noDevice("no OpenCL platform is installed"));
        throw e;
      }
      cl_platform_id[] platforms = new cl_platform_id[count[0]];
      if (count[0] > 0) clGetPlatformIDs(count[0], platforms, null);
      for (cl_platform_id p : platforms) {
        String platformName = platformString(p, CL_PLATFORM_NAME);
        int[] n = new int[1];
        try {
          clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, null, n);
        } catch (CLException e) {
          if (e.getStatus() == CL_DEVICE_NOT_FOUND) continue;
          throw e;
        }
        cl_device_id[] ids = new cl_device_id[n[0]];
        clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, n[0], ids, null);
        for (cl_device_id d : ids) out.add(describe(out.size(), platformName, p, d));
      }
    } catch (LinkageError e) {
      // JOCL opens the loader as libOpenCL.so (unversioned): on Debian that name comes with ocl-icd-opencl-dev.
      return new Discovery(List.of(), "no OpenCL loader could be loaded (" + e.getMessage()
          + "); JOCL needs libOpenCL.so and a driver, e.g. apt-get install ocl-icd-opencl-dev pocl-opencl-icd");
    } catch (CLException e) {
      return new Discovery(List.of(), "OpenCL device discovery failed: " + e.getMessage());
    }
    return new Discovery(List.copyOf(out), out.isEmpty() ? noDevice("the OpenCL platforms report no device") : null);
  }

  private static String noDevice(String why) {
    return why + "; install a driver, e.g. apt-get install pocl-opencl-icd (a CPU device)";
  }

  private static ClDevice describe(int index, String platform, cl_platform_id p, cl_device_id d) {
    long type = deviceLong(d, CL_DEVICE_TYPE);
    String t = (type & CL_DEVICE_TYPE_GPU) != 0 ? "GPU" : (type & CL_DEVICE_TYPE_CPU) != 0 ? "CPU"
        : (type & CL_DEVICE_TYPE_ACCELERATOR) != 0 ? "ACCELERATOR" : "OTHER";
    String ext = deviceString(d, CL_DEVICE_EXTENSIONS);
    boolean fp64 = ext.contains("cl_khr_fp64") || doubleFpConfig(d) != 0;
    boolean crDivSqrt = (deviceLong(d, CL_DEVICE_SINGLE_FP_CONFIG) & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
    return new ClDevice(index, platform, deviceString(d, CL_DEVICE_NAME).trim(), deviceString(d, CL_DEVICE_VENDOR).trim(),
        deviceString(d, CL_DEVICE_VERSION).trim(), t, deviceInt(d, CL_DEVICE_MAX_COMPUTE_UNITS),
        deviceInt(d, CL_DEVICE_MAX_CLOCK_FREQUENCY), fp64, crDivSqrt, deviceLong(d, CL_DEVICE_GLOBAL_MEM_SIZE),
        deviceLong(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE), deviceLong(d, CL_DEVICE_MAX_WORK_GROUP_SIZE), p, d);
  }

  // The info queries below size their buffers to the C types: cl_uint (4 bytes) for counts and
  // clocks, cl_ulong / cl_bitfield / size_t (8 bytes on 64-bit hosts) for sizes, types and flags.

  static String deviceString(cl_device_id d, int param) {
    long[] size = new long[1];
    clGetDeviceInfo(d, param, 0, null, size);
    byte[] buf = new byte[(int) size[0]];
    clGetDeviceInfo(d, param, buf.length, Pointer.to(buf), null);
    return cString(buf);
  }

  private static String platformString(cl_platform_id p, int param) {
    long[] size = new long[1];
    clGetPlatformInfo(p, param, 0, null, size);
    byte[] buf = new byte[(int) size[0]];
    clGetPlatformInfo(p, param, buf.length, Pointer.to(buf), null);
    return cString(buf);
  }

  /** CL_DEVICE_DOUBLE_FP_CONFIG, or 0 where the query itself is unknown (OpenCL 1.0 devices). */
  private static long doubleFpConfig(cl_device_id d) {
    try {
      return deviceLong(d, CL_DEVICE_DOUBLE_FP_CONFIG);
    } catch (CLException e) {
      return 0;
    }
  }

  static int deviceInt(cl_device_id d, int param) {
    int[] v = new int[1];
    clGetDeviceInfo(d, param, 4, Pointer.to(v), null);
    return v[0];
  }

  static long deviceLong(cl_device_id d, int param) {
    long[] v = new long[1];
    clGetDeviceInfo(d, param, 8, Pointer.to(v), null);
    return v[0];
  }

  static String cString(byte[] buf) {
    int n = 0;
    while (n < buf.length && buf[n] != 0) n++;
    return new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8);
  }
}
