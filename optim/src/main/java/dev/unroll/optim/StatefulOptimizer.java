package dev.unroll.optim;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.InPlaceUpdates;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the optimizers share: the state map, argument checks, and the in-place step, which runs the
 * optimizer's allocation-free kernel on the storage of each parameter and its buffers where they
 * are plain CPU arrays; on a device whose backend has {@link InPlaceUpdates}, the same update as
 * one fused device kernel; otherwise the functional {@link #update} with its results copied back.
 * The buffers live on their parameter's device: a state loaded from a (CPU) snapshot is moved
 * there at the first step, and {@link #state()} copies it back to the CPU.
 */
abstract class StatefulOptimizer implements Optimizer {
  private final LinkedHashMap<String, Tensor> state = new LinkedHashMap<>();

  /** The state keys of one parameter's buffers, in a fixed order. */
  abstract List<String> bufferKeys(String name);

  /**
   * The in-place kernel for one parameter: p, g and the buffers (in {@link #bufferKeys} order) as
   * arrays of one dtype, for step number t (1-based, already counted).
   */
  abstract void kernel(double[] p, double[] g, double[][] buffers, double lr, long t);

  abstract void kernel(float[] p, float[] g, float[][] buffers, double lr, long t);

  /** The same update as {@link #kernel} on tensors of a device backend, fused into one device kernel. */
  abstract void deviceKernel(InPlaceUpdates device, Tensor p, Tensor g, Tensor[] buffers, double lr, long t);

  @Override
  public final Map<String, Tensor> initialState(List<String> names, List<Tensor> params) {
    checkSizes(names, params, params, "initialState");
    LinkedHashMap<String, Tensor> s = new LinkedHashMap<>();
    s.put(STEP, Tensor.scalar(DType.F64, 0));
    for (int i = 0; i < names.size(); i++) {
      for (String k : bufferKeys(names.get(i))) s.put(k, zerosLike(params.get(i)));
    }
    return s;
  }

  @Override
  public final void step(List<Parameter> params, List<Tensor> grads, double lr) {
    List<String> names = new ArrayList<>(params.size());
    List<Tensor> values = new ArrayList<>(params.size());
    for (Parameter p : params) {
      names.add(p.name());
      values.add(p.value());
    }
    checkSizes(names, values, grads, "step");
    if (state.isEmpty()) state.putAll(initialState(names, values));
    checkState(names, values, state);
    long t = stepCount(state) + 1;
    try (var off = GradMode.off()) {
      for (int i = 0; i < params.size(); i++) {
        Parameter p = params.get(i);
        if (!p.value().isLeaf()) throw new IllegalStateException("step: parameter '" + p.name() + "' holds a graph node; optimizers update leaves");
        List<String> keys = bufferKeys(p.name());
        Tensor[] bufs = new Tensor[keys.size()];
        for (int k = 0; k < bufs.length; k++) bufs[k] = state.get(keys.get(k));
        Tensor g = grads.get(i).detach().to(p.dtype());
        Backend device = p.value().backend();
        if (!device.isCpu()) {
          // A state restored from a snapshot is on the CPU: it moves to the parameter's device once.
          for (int k = 0; k < bufs.length; k++) {
            if (bufs[k].backend() != device) {
              bufs[k] = bufs[k].to(device);
              state.put(keys.get(k), bufs[k]);
            }
          }
          if (g.backend() != device) g = g.to(device);
          if (device instanceof InPlaceUpdates u) {
            deviceKernel(u, p.value(), g, bufs, lr, t);
            continue;
          }
        }
        if (!p.value().ownsStorage() || !all(bufs)) {
          fallback(p, g, keys, lr);
          continue;
        }
        if (p.dtype() == DType.F64) {
          double[][] b = new double[bufs.length][];
          for (int k = 0; k < b.length; k++) b[k] = bufs[k].doubleStorage();
          kernel(p.value().doubleStorage(), g.ownsStorage() ? g.doubleStorage() : g.toDoubleArray(), b, lr, t);
        } else {
          float[][] b = new float[bufs.length][];
          for (int k = 0; k < b.length; k++) b[k] = bufs[k].floatStorage();
          kernel(p.value().floatStorage(), g.ownsStorage() ? g.floatStorage() : g.toFloatArray(), b, lr, t);
        }
      }
    }
    state.put(STEP, Tensor.scalar(DType.F64, t));
  }

  /** One parameter through the functional form (device tensors, views): its results copied into place. */
  private void fallback(Parameter p, Tensor g, List<String> keys, double lr) {
    Map<String, Tensor> sub = new LinkedHashMap<>();
    sub.put(STEP, state.get(STEP));
    for (String k : keys) sub.put(k, state.get(k));
    Update u = update(List.of(p.name()), List.of(p.value()), sub, List.of(g), lr);
    for (String k : keys) state.get(k).copyFrom(u.state().get(k));
    p.value().copyFrom(u.params().get(0));
  }

  /** Zeros shaped like x, on x's backend. */
  static Tensor zerosLike(Tensor x) {
    Tensor z = Tensor.zeros(x.dtype(), x.shape());
    return x.backend().isCpu() ? z : x.backend().fromCpu(z);
  }

  private static boolean all(Tensor[] ts) {
    for (Tensor t : ts) if (!t.ownsStorage()) return false;
    return true;
  }

  @Override
  public final Map<String, Tensor> state() {
    return deepCopy(state);
  }

  @Override
  public final void loadState(Map<String, Tensor> s) {
    if (!s.isEmpty() && !s.containsKey(STEP)) throw new IllegalArgumentException("optimizer state without a '" + STEP + "' entry; keys: " + s.keySet());
    state.clear();
    state.putAll(deepCopy(s));
  }

  static LinkedHashMap<String, Tensor> deepCopy(Map<String, Tensor> s) {
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    try (var off = GradMode.off()) {
      for (Map.Entry<String, Tensor> e : s.entrySet()) {
        Tensor c = Tensor.zeros(e.getValue().dtype(), e.getValue().shape());
        c.copyFrom(e.getValue().detach());
        out.put(e.getKey(), c);
      }
    }
    return out;
  }

  static long stepCount(Map<String, Tensor> s) {
    Tensor t = s.get(STEP);
    if (t == null) throw new IllegalArgumentException("optimizer state has no '" + STEP + "' entry; keys: " + s.keySet());
    double v = t.item();
    if (v != Math.rint(v) || v < 0) throw new IllegalArgumentException("optimizer state: step count " + v + " is not a non-negative integer");
    return (long) v;
  }

  final void checkState(List<String> names, List<Tensor> params, Map<String, Tensor> s) {
    stepCount(s);
    for (int i = 0; i < names.size(); i++) {
      for (String k : bufferKeys(names.get(i))) {
        Tensor b = s.get(k);
        if (b == null) throw new IllegalArgumentException("optimizer state has no '" + k + "' for parameter '" + names.get(i) + "'; keys: " + s.keySet());
        if (!Arrays.equals(b.shape(), params.get(i).shape()) || b.dtype() != params.get(i).dtype()) {
          throw new IllegalArgumentException("optimizer state '" + k + "' is " + b.dtype() + " " + Arrays.toString(b.shape()) + ", parameter '" + names.get(i) + "' is " + params.get(i).dtype() + " " + Arrays.toString(params.get(i).shape()));
        }
      }
    }
  }

  static void checkSizes(List<String> names, List<Tensor> params, List<Tensor> grads, String op) {
    if (names.size() != params.size() || params.size() != grads.size()) {
      throw new IllegalArgumentException(op + ": " + names.size() + " names, " + params.size() + " parameters and " + grads.size() + " gradients");
    }
    for (int i = 0; i < params.size(); i++) {
      Tensor g = grads.get(i);
      if (g == null) throw new IllegalArgumentException(op + ": no gradient for parameter '" + names.get(i) + "'");
      if (!Arrays.equals(g.shape(), params.get(i).shape())) {
        throw new IllegalArgumentException(op + ": gradient of shape " + Arrays.toString(g.shape()) + " for parameter '" + names.get(i) + "' of shape " + Arrays.toString(params.get(i).shape()));
      }
    }
  }
}
