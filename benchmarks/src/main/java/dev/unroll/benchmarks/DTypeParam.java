package dev.unroll.benchmarks;

import dev.unroll.autodiff.DType;

/** The element type of a benchmark parameter, spelt as in PyTorch ("float32", "float64"). */
final class DTypeParam {
  private DTypeParam() {}

  static DType parse(String name) {
    return switch (name) {
      case "float32", "f32" -> DType.F32;
      case "float64", "f64" -> DType.F64;
      default -> throw new IllegalArgumentException("dtype parameter '" + name + "': expected float32 or float64");
    };
  }
}
