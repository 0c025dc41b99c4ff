package dev.unroll.autodiff.opencl;

import static org.jocl.CL.*;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_context;
import org.jocl.cl_mem;

/**
 * Allocation and release of the device buffers of one backend. Every buffer gets a cleaning action
 * that releases its cl_mem; {@link Cleaner.Cleanable#clean()} runs an action at most once, so a
 * buffer is released exactly once whether the collector finds it unreachable first or
 * {@link #releaseAll()} (the backend's close) does. The action holds the cl_mem, never the
 * {@link ClBuffer}, or the buffer could not become unreachable.
 *
 * <p>The collector sees only the small Java objects, not the device memory behind them. When the
 * live bytes would pass a budget (3/4 of the device's global memory) an allocation first asks for
 * a collection and gives the cleaner a moment, and it retries once after a failed allocation.
 */
final class ClMemory {
  private static final Cleaner CLEANER = Cleaner.create();

  private final cl_context context;
  private final long budget;
  private final long maxAlloc;
  private final String deviceName;
  private final Set<Release> live = ConcurrentHashMap.newKeySet();
  private final AtomicLong liveBytes = new AtomicLong();
  private final AtomicLong allocated = new AtomicLong();
  private final AtomicLong released = new AtomicLong();
  private final AtomicLong releaseErrors = new AtomicLong();

  ClMemory(cl_context context, ClDevice device) {
    this.context = context;
    this.budget = device.globalMemBytes() / 4 * 3;
    this.maxAlloc = device.maxAllocBytes();
    this.deviceName = device.name();
  }

  /** An uninitialised buffer of {@code elements} (at least one, since OpenCL has no empty buffers). */
  ClBuffer allocate(int elements, int elementBytes) {
    return create(Math.max(elements, 1), elementBytes, CL_MEM_READ_WRITE, null);
  }

  /** A buffer holding data[off, off + n). */
  ClBuffer upload(float[] data, int off, int n) {
    if (n == 0) return allocate(0, 4);
    return create(n, 4, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, Pointer.to(data).withByteOffset(4L * off));
  }

  /** A buffer holding data[off, off + n). */
  ClBuffer upload(double[] data, int off, int n) {
    if (n == 0) return allocate(0, 8);
    return create(n, 8, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, Pointer.to(data).withByteOffset(8L * off));
  }

  /** A buffer holding the ints (indices for gather and scatter-add). */
  ClBuffer upload(int[] data) {
    if (data.length == 0) return allocate(0, 4);
    return create(data.length, 4, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, Pointer.to(data));
  }

  private synchronized ClBuffer create(int elements, int elementBytes, long flags, Pointer host) {
    long bytes = (long) elements * elementBytes;
    if (bytes > maxAlloc) {
      throw new IllegalArgumentException("a tensor of " + elements + " elements (" + bytes + " bytes) exceeds the largest buffer "
          + deviceName + " allows (" + maxAlloc + " bytes)");
    }
    if (liveBytes.get() + bytes > budget) collect(bytes);
    cl_mem mem;
    try {
      mem = clCreateBuffer(context, flags, bytes, host, null);
    } catch (CLException e) {
      if (e.getStatus() != CL_MEM_OBJECT_ALLOCATION_FAILURE && e.getStatus() != CL_OUT_OF_RESOURCES && e.getStatus() != CL_OUT_OF_HOST_MEMORY) throw e;
      collect(bytes);
      try {
        mem = clCreateBuffer(context, flags, bytes, host, null);
      } catch (CLException again) {
        throw new IllegalStateException("out of device memory on " + deviceName + ": " + bytes + " bytes requested, "
            + liveBytes.get() + " bytes held by " + live.size() + " live buffers", again);
      }
    }
    ClBuffer buffer = new ClBuffer(mem, elements, bytes);
    Release r = new Release(mem, bytes, this);
    live.add(r);
    r.cleanable = CLEANER.register(buffer, r);
    liveBytes.addAndGet(bytes);
    allocated.incrementAndGet();
    return buffer;
  }

  /** Asks for a collection and waits up to about half a second for the cleaner to free room. */
  private void collect(long bytes) {
    System.gc();
    for (int i = 0; i < 50 && liveBytes.get() + bytes > budget; i++) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Releases every live buffer now (the backend's close); later cleaning actions do nothing. */
  synchronized void releaseAll() {
    for (Release r : new ArrayList<>(live)) r.cleanable.clean();
  }

  int liveCount() {
    return live.size();
  }

  long liveBytes() {
    return liveBytes.get();
  }

  long allocatedCount() {
    return allocated.get();
  }

  long releasedCount() {
    return released.get();
  }

  /** Releases that OpenCL refused (a double release would show here). */
  long releaseErrors() {
    return releaseErrors.get();
  }

  /** The cleaning action of one buffer. */
  private static final class Release implements Runnable {
    private final cl_mem mem;
    private final long bytes;
    private final ClMemory owner;
    volatile Cleaner.Cleanable cleanable;

    Release(cl_mem mem, long bytes, ClMemory owner) {
      this.mem = mem;
      this.bytes = bytes;
      this.owner = owner;
    }

    @Override
    public void run() {
      owner.live.remove(this);
      owner.liveBytes.addAndGet(-bytes);
      owner.released.incrementAndGet();
      try {
        clReleaseMemObject(mem);
      } catch (CLException | LinkageError e) {
        // On the cleaner thread nobody could catch it; it is counted for the tests instead.
        owner.releaseErrors.incrementAndGet();
      }
    }
  }
}
