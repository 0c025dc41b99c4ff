package dev.unroll.autodiff.io;

import dev.unroll.autodiff.DType;

/**
 * Element types the tensor file formats here read and write: IEEE-754 float32/float64 and
 * two's-complement int32/int64, all little-endian on disk.
 */
public enum ElementType {
  F32(4, "F32", "<f4"),
  F64(8, "F64", "<f8"),
  I32(4, "I32", "<i4"),
  I64(8, "I64", "<i8");

  /** Bytes per element. */
  public final int bytes;
  /** The dtype string of the safetensors header. */
  public final String safetensorsName;
  /** The descr string of a .npy header. */
  public final String npyDescr;

  ElementType(int bytes, String safetensorsName, String npyDescr) {
    this.bytes = bytes;
    this.safetensorsName = safetensorsName;
    this.npyDescr = npyDescr;
  }

  /** True for F32 and F64, the types a {@link dev.unroll.autodiff.Tensor} holds. */
  public boolean isFloat() {
    return this == F32 || this == F64;
  }

  /** The element type of a tensor of {@code dtype}. */
  public static ElementType of(DType dtype) {
    return dtype == DType.F32 ? F32 : F64;
  }

  /** The type named {@code name} in a safetensors header, or null when none is. */
  public static ElementType fromSafetensors(String name) {
    for (ElementType t : values()) if (t.safetensorsName.equals(name)) return t;
    return null;
  }

  /** The type with .npy descr {@code descr}, or null when none is. */
  public static ElementType fromNpy(String descr) {
    for (ElementType t : values()) if (t.npyDescr.equals(descr)) return t;
    return null;
  }
}
