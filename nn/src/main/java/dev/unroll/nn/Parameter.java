package dev.unroll.nn;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import java.util.Arrays;

/**
 * A trainable tensor of a {@link Module} with its dotted name in the model ("layers.0.weight").
 * The value is normally a leaf that requires grad; {@link #set} replaces it by another tensor of the
 * same shape and dtype, which may also be a graph node (to evaluate the model at parameter values
 * that are themselves functions of something being differentiated, e.g. θ − η·g in an unrolled
 * step). {@link #assign} instead overwrites the current leaf's values in place.
 */
public final class Parameter {
  private String name;
  private final int[] shape;
  private final DType dtype;
  private Tensor value;

  /** A parameter holding {@code initial} (marked as requiring grad). */
  public Parameter(String name, Tensor initial) {
    this.name = name;
    this.shape = initial.shape();
    this.dtype = initial.dtype();
    this.value = initial.isLeaf() ? initial.requiresGrad(true) : initial;
  }

  /** The dotted name within the root module it belongs to. */
  public String name() {
    return name;
  }

  /** Called when the owning module is registered under a parent: the name gets the parent's prefix. */
  void prefix(String p) {
    name = p + name;
  }

  public Tensor value() {
    return value;
  }

  public int[] shape() {
    return shape.clone();
  }

  public DType dtype() {
    return dtype;
  }

  public int numel() {
    return value.numel();
  }

  /** The gradient accumulated on the current value by {@code backward()} (null if none). */
  public Tensor grad() {
    return value.grad();
  }

  /**
   * Replaces the value by {@code v} (same shape and dtype), stored as given: a leaf is marked as
   * requiring grad, a graph node is kept so that derivatives flow through it.
   */
  public void set(Tensor v) {
    if (!Arrays.equals(v.shape(), shape) || v.dtype() != dtype) {
      throw new IllegalArgumentException("parameter '" + name + "' is " + dtype + " " + Arrays.toString(shape)
          + ", cannot set it to " + v.dtype() + " " + Arrays.toString(v.shape()));
    }
    value = v.isLeaf() && !v.requiresGrad() ? v.requiresGrad(true) : v;
  }

  /**
   * Overwrites the values of the current leaf with {@code src} (same shape; dtype converted), in
   * place: the tensor object stays the same.
   */
  public void assign(Tensor src) {
    if (!Arrays.equals(src.shape(), shape)) {
      throw new IllegalArgumentException("parameter '" + name + "' has shape " + Arrays.toString(shape) + ", cannot assign " + Arrays.toString(src.shape()));
    }
    if (!value.isLeaf()) throw new IllegalStateException("assign on parameter '" + name + "' whose value is a graph node; set() a leaf first");
    value.copyFrom(src.detach());
  }

  @Override
  public String toString() {
    return "Parameter(" + name + ", " + dtype + " " + Arrays.toString(shape) + ")";
  }
}
