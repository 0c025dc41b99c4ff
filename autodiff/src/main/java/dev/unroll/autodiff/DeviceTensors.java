package dev.unroll.autodiff;

/**
 * The view of tensor internals that a {@link Backend} implemented outside this package needs:
 * layout (shape, strides, offset, all in elements) and the device storage object, and a way to
 * create tensors over its own storage. Not for model code: a tensor built here is trusted to fit
 * its storage. The arrays returned are the tensor's own and must not be modified.
 */
public final class DeviceTensors {
  private DeviceTensors() {}

  /**
   * A tensor of {@code backend} over device {@code storage}: element (i₀, …, iᵣ₋₁) lives at
   * offset + Σ iₖ·strides[k] of the storage. The arrays are kept, not copied.
   */
  public static Tensor wrap(DType dtype, int[] shape, int[] strides, int offset, Object storage, Backend backend) {
    if (backend.isCpu()) throw new IllegalArgumentException("wrap: " + backend.name() + " is a CPU backend; use Tensor.of");
    if (shape.length != strides.length) throw new IllegalArgumentException("wrap: shape " + Shape.str(shape) + " and strides " + Shape.str(strides) + " differ in rank");
    return new Tensor(dtype, shape, strides, offset, null, null, storage, backend);
  }

  /** The device storage object of a tensor (null for CPU tensors). */
  public static Object storage(Tensor x) {
    return x.device;
  }

  /** The strides in elements (the tensor's own array). */
  public static int[] strides(Tensor x) {
    return x.strides;
  }

  /** The shape (the tensor's own array). */
  public static int[] shape(Tensor x) {
    return x.shape;
  }

  /** The offset of element (0, …, 0) in the storage, in elements. */
  public static int offset(Tensor x) {
    return x.offset;
  }

  /** The float32 array behind a CPU tensor (null otherwise). */
  public static float[] floats(Tensor x) {
    return x.f;
  }

  /** The float64 array behind a CPU tensor (null otherwise). */
  public static double[] doubles(Tensor x) {
    return x.d;
  }
}
