package dev.unroll.autodiff.opencl;

import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * One OpenCL device as discovered: what the device report shows and what the backend needs to
 * open it. {@code index} is the device's position in {@link ClDevices#list()}, the N of
 * {@code UNROLL_DEVICE=opencl:N}.
 *
 * @param type "GPU", "CPU", "ACCELERATOR" or "OTHER"
 * @param clockMhz the maximum clock frequency the device reports
 * @param fp64 whether the device computes in float64 (cl_khr_fp64)
 * @param correctlyRoundedDivSqrt whether float32 division and square root can be correctly rounded
 */
public record ClDevice(int index, String platform, String name, String vendor, String version, String type,
    int computeUnits, int clockMhz, boolean fp64, boolean correctlyRoundedDivSqrt,
    long globalMemBytes, long maxAllocBytes, long maxWorkGroupSize,
    cl_platform_id platformId, cl_device_id deviceId) {

  /** A rough speed score for picking the default GPU: compute units × clock. */
  public long score() {
    return (long) computeUnits * Math.max(clockMhz, 1);
  }

  public boolean isGpu() {
    return type.equals("GPU");
  }

  /** One line: index, name, vendor, type, compute units, clock, fp64, memory. */
  public String describe() {
    return String.format("opencl:%d  %s (%s, %s) %s, %d compute units at %d MHz, fp64 %s, %.1f GiB global memory, %s",
        index, name, vendor, platform, type, computeUnits, clockMhz, fp64 ? "yes" : "no",
        globalMemBytes / (double) (1L << 30), version);
  }
}
