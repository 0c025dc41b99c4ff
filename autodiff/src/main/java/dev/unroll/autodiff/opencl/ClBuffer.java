package dev.unroll.autodiff.opencl;

import org.jocl.cl_mem;

/**
 * The device storage of OpenCL tensors: one cl_mem that every view of it shares (it is the
 * tensors' storage object). It is released exactly once — by the {@link java.lang.ref.Cleaner} when
 * no tensor references it any more, or by {@link ClBackend#close()}, whichever comes first.
 */
final class ClBuffer {
  final cl_mem mem;
  /** Capacity in elements. */
  final int elements;
  final long bytes;

  ClBuffer(cl_mem mem, int elements, long bytes) {
    this.mem = mem;
    this.elements = elements;
    this.bytes = bytes;
  }
}
