package dev.unroll.nn;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The layout of a list of parameters as one flat vector θ ∈ ℝᴾ: parameter i occupies
 * θ[offset(i), offset(i) + size(i)) in row-major order, in the order of the list (normally
 * {@link Module#parameters()}). This is the bridge between a model and the derivative tools, which
 * work on {@code List<Tensor>} ({@link #split}, {@link #concat}) or on flat vectors.
 */
public final class ParameterVector {
  private final List<Parameter> params;
  private final List<String> names;
  private final List<int[]> shapes;
  private final int[] offsets, sizes;
  private final int size;

  public ParameterVector(List<Parameter> params) {
    this.params = List.copyOf(params);
    names = new ArrayList<>();
    shapes = new ArrayList<>();
    offsets = new int[params.size()];
    sizes = new int[params.size()];
    long at = 0;
    for (int i = 0; i < params.size(); i++) {
      Parameter p = params.get(i);
      names.add(p.name());
      shapes.add(p.shape());
      offsets[i] = (int) at;
      sizes[i] = p.numel();
      at += sizes[i];
      if (at > Integer.MAX_VALUE) throw new IllegalArgumentException("more than 2^31 - 1 parameters do not fit one flat vector");
    }
    size = (int) at;
  }

  /** The layout of every parameter of {@code model}. */
  public static ParameterVector of(Module model) {
    return new ParameterVector(model.parameters());
  }

  /** P, the total number of entries. */
  public int size() { return size; }

  /** Number of parameter tensors. */
  public int count() { return params.size(); }

  public List<Parameter> parameters() { return params; }

  public List<String> names() { return Collections.unmodifiableList(names); }

  public int offset(int i) { return offsets[i]; }

  public int size(int i) { return sizes[i]; }

  public int[] shape(int i) { return shapes.get(i).clone(); }

  /** Index of the parameter called {@code name}. */
  public int indexOf(String name) {
    int i = names.indexOf(name);
    if (i < 0) throw new IllegalArgumentException("no parameter '" + name + "' in " + names);
    return i;
  }

  /** A fresh flat copy [P] of the current parameter values, converted to {@code dtype} (no graph). */
  public Tensor flatten(DType dtype) {
    List<Tensor> vs = new ArrayList<>();
    for (Parameter p : params) vs.add(p.value());
    try (var s = GradMode.off()) {
      return copyOf(concat(vs).detach(), dtype);
    }
  }

  /** A fresh flat copy [P] of per-parameter tensors shaped like the parameters (e.g. gradients), converted to {@code dtype}. */
  public Tensor flatten(List<Tensor> perParameter, DType dtype) {
    checkShapes(perParameter);
    try (var s = GradMode.off()) {
      List<Tensor> det = new ArrayList<>();
      for (Tensor t : perParameter) det.add(t.detach());
      return copyOf(concat(det), dtype);
    }
  }

  /**
   * The flat concatenation of {@code tensors} (each reshaped to 1-D), differentiable: with grad mode
   * on, the result is a graph node depending on every input. All must share a dtype.
   */
  public static Tensor concat(List<Tensor> tensors) {
    if (tensors.isEmpty()) throw new IllegalArgumentException("concat of no tensors");
    Tensor[] flat = new Tensor[tensors.size()];
    for (int i = 0; i < flat.length; i++) flat[i] = tensors.get(i).reshape(-1);
    return flat.length == 1 ? flat[0] : Ops.concat(0, flat);
  }

  /**
   * The per-parameter pieces of a flat vector θ [P], each reshaped to its parameter's shape, in
   * order. They are views of θ recorded as slices, so derivatives with respect to θ flow through
   * them: {@code model.withParameters(pv.split(theta), ...)} evaluates the model at θ.
   */
  public List<Tensor> split(Tensor flat) {
    checkFlat(flat, "split");
    List<Tensor> out = new ArrayList<>(params.size());
    for (int i = 0; i < params.size(); i++) {
      out.add(flat.slice(0, offsets[i], offsets[i] + sizes[i]).reshape(shapes.get(i)));
    }
    return out;
  }

  /** Overwrites every parameter in place with its piece of θ [P] (dtype converted). */
  public void assign(Tensor flat) {
    checkFlat(flat, "assign");
    try (var s = GradMode.off()) {
      List<Tensor> pieces = split(flat.detach());
      for (int i = 0; i < params.size(); i++) params.get(i).assign(pieces.get(i));
    }
  }

  private void checkFlat(Tensor flat, String op) {
    if (flat.rank() != 1 || flat.dim(0) != size) {
      throw new IllegalArgumentException("ParameterVector." + op + ": vector of shape " + Arrays.toString(flat.shape()) + ", expected [" + size + "] for " + params.size() + " parameters");
    }
  }

  private void checkShapes(List<Tensor> ts) {
    if (ts.size() != params.size()) throw new IllegalArgumentException("ParameterVector: " + ts.size() + " tensors for " + params.size() + " parameters");
    for (int i = 0; i < ts.size(); i++) {
      if (!Arrays.equals(ts.get(i).shape(), shapes.get(i))) {
        throw new IllegalArgumentException("ParameterVector: tensor " + i + " has shape " + Arrays.toString(ts.get(i).shape()) + ", parameter '" + names.get(i) + "' " + Arrays.toString(shapes.get(i)));
      }
    }
  }

  private static Tensor copyOf(Tensor t, DType dtype) {
    Tensor out = Tensor.zeros(dtype, t.shape());
    out.copyFrom(t);
    return out;
  }
}
