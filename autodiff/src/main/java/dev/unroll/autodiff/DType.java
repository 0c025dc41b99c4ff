package dev.unroll.autodiff;

/** Element types. Mixing them in one op is an error: convert explicitly with {@link Tensor#to(DType)}. */
public enum DType {
  F32(4, "F32"),
  F64(8, "F64");

  /** Bytes per element. */
  public final int bytes;
  /** Name used in safetensors headers. */
  public final String safetensorsName;

  DType(int bytes, String safetensorsName) {
    this.bytes = bytes;
    this.safetensorsName = safetensorsName;
  }
}
