package dev.unroll.autodiff.opencl;

import static org.jocl.CL.*;

import dev.unroll.autodiff.BinaryOp;
import dev.unroll.autodiff.UnaryOp;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

/**
 * The kernels of kernels.cl compiled for one element type on one device, with the largest
 * work-group size each kernel can be launched with there. Owns its cl_program and cl_kernels.
 */
final class ClProgram implements AutoCloseable {
  static final List<String> KERNELS = List.of("unary", "binary", "where3", "copy", "fill_zero", "reduce_rows",
      "reduce_rows_seq", "reduce_cols", "gemm", "gemm_rows", "gather", "scatter_add", "im2col", "col2im", "sgd_step", "adam_step");
  static final List<String> CAST_KERNELS = List.of("to_double", "to_float");

  private final cl_program program;
  private final Map<String, cl_kernel> kernels = new LinkedHashMap<>();
  private final Map<String, Long> maxGroup = new LinkedHashMap<>();
  private boolean closed;

  private ClProgram(cl_program program) {
    this.program = program;
  }

  /** Compiles the kernels with T = double when {@code f64}, else T = float. */
  static ClProgram build(cl_context context, ClDevice device, boolean f64) {
    String source = header() + source();
    cl_program p = clCreateProgramWithSource(context, 1, new String[] {source}, null, null);
    ClProgram out = new ClProgram(p);
    try {
      StringBuilder options = new StringBuilder();
      if (f64) options.append("-DUNROLL_DOUBLE");
      // Without it OpenCL allows float division and sqrt errors of up to 2.5 and 3 ulp.
      else if (device.correctlyRoundedDivSqrt()) options.append("-cl-fp32-correctly-rounded-divide-sqrt");
      cl_device_id[] devs = {device.deviceId()};
      try {
        clBuildProgram(p, 1, devs, options.toString(), null, null);
      } catch (CLException e) {
        throw new IllegalStateException("OpenCL kernels (" + (f64 ? "float64" : "float32") + ") failed to build on "
            + device.name() + ":\n" + buildLog(p, device.deviceId()), e);
      }
      for (String name : f64 ? concat(KERNELS, CAST_KERNELS) : KERNELS) {
        cl_kernel k = clCreateKernel(p, name, null);
        out.kernels.put(name, k);
        long[] wg = new long[1];
        clGetKernelWorkGroupInfo(k, device.deviceId(), CL_KERNEL_WORK_GROUP_SIZE, 8, Pointer.to(wg), null);
        out.maxGroup.put(name, wg[0]);
      }
      return out;
    } catch (RuntimeException e) {
      out.close();
      throw e;
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }

  /** The op numbering of the Java enums, so that kernels and host agree by construction. */
  static String header() {
    StringBuilder sb = new StringBuilder();
    for (UnaryOp op : UnaryOp.values()) sb.append("#define U_").append(op.name()).append(' ').append(op.ordinal()).append('\n');
    for (BinaryOp op : BinaryOp.values()) sb.append("#define B_").append(op.name()).append(' ').append(op.ordinal()).append('\n');
    return sb.toString();
  }

  static String source() {
    try (InputStream in = ClProgram.class.getResourceAsStream("kernels.cl")) {
      if (in == null) throw new IllegalStateException("kernels.cl is missing from the classpath (package dev.unroll.autodiff.opencl)");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read kernels.cl", e);
    }
  }

  private static String buildLog(cl_program p, cl_device_id d) {
    try {
      long[] size = new long[1];
      clGetProgramBuildInfo(p, d, CL_PROGRAM_BUILD_LOG, 0, null, size);
      byte[] buf = new byte[(int) size[0]];
      clGetProgramBuildInfo(p, d, CL_PROGRAM_BUILD_LOG, buf.length, Pointer.to(buf), null);
      return ClDevices.cString(buf);
    } catch (CLException e) {
      return "(no build log: " + e.getMessage() + ")";
    }
  }

  cl_kernel kernel(String name) {
    cl_kernel k = kernels.get(name);
    if (k == null) throw new IllegalStateException("no OpenCL kernel " + name);
    return k;
  }

  /** CL_KERNEL_WORK_GROUP_SIZE of a kernel on the device. */
  long maxGroup(String name) {
    return maxGroup.get(name);
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    for (cl_kernel k : kernels.values()) clReleaseKernel(k);
    kernels.clear();
    if (program != null) clReleaseProgram(program);
  }
}
