package dev.unroll.optim.train;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of a run after {@code step} steps: θ_step (parameters by dotted name, in the model's
 * parameter order) and the optimizer state after those steps ({@link dev.unroll.optim.Optimizer#state()}:
 * "step", "momentum.NAME", ...). The optimizer state belongs to the optimizer that took step
 * step − 1; at a stage boundary it is the finished stage's, and the next stage starts from a fresh
 * optimizer. It is empty at step 0. Tensors are detached copies that nobody mutates.
 */
public record Snapshot(int step, Map<String, Tensor> parameters, Map<String, Tensor> optimizerState) {
  public Snapshot {
    parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    optimizerState = Collections.unmodifiableMap(new LinkedHashMap<>(optimizerState));
  }

  /** The parameter values in order (the model's parameter order). */
  public List<Tensor> parameterList() {
    return new ArrayList<>(parameters.values());
  }

  /** The parameters as one flat vector [P] of {@code dtype}, in parameter order. */
  public Tensor flatParameters(DType dtype) {
    int n = 0;
    for (Tensor t : parameters.values()) n += t.numel();
    double[] out = new double[n];
    int at = 0;
    for (Tensor t : parameters.values()) {
      double[] v = t.toDoubleArray();
      System.arraycopy(v, 0, out, at, v.length);
      at += v.length;
    }
    return Tensor.of(dtype, out, n);
  }

  /** True when both snapshots hold the same names, shapes, dtypes and bit-identical values. */
  public boolean bitEquals(Snapshot o) {
    return step == o.step && mapsEqual(parameters, o.parameters) && mapsEqual(optimizerState, o.optimizerState);
  }

  /** The first difference from {@code o}, or null when {@link #bitEquals} holds (for error messages). */
  public String difference(Snapshot o) {
    if (step != o.step) return "step " + step + " vs " + o.step;
    String d = mapDifference("parameter", parameters, o.parameters);
    return d != null ? d : mapDifference("optimizer state", optimizerState, o.optimizerState);
  }

  private static boolean mapsEqual(Map<String, Tensor> a, Map<String, Tensor> b) {
    return mapDifference("", a, b) == null;
  }

  private static String mapDifference(String what, Map<String, Tensor> a, Map<String, Tensor> b) {
    if (!a.keySet().equals(b.keySet())) return what + " names " + a.keySet() + " vs " + b.keySet();
    for (Map.Entry<String, Tensor> e : a.entrySet()) {
      Tensor x = e.getValue(), y = b.get(e.getKey());
      if (x.dtype() != y.dtype() || !Arrays.equals(x.shape(), y.shape())) return what + " '" + e.getKey() + "': " + x.dtype() + Arrays.toString(x.shape()) + " vs " + y.dtype() + Arrays.toString(y.shape());
      double[] u = x.toDoubleArray(), v = y.toDoubleArray();
      for (int i = 0; i < u.length; i++) {
        if (Double.doubleToRawLongBits(u[i]) != Double.doubleToRawLongBits(v[i])) return what + " '" + e.getKey() + "' entry " + i + ": " + u[i] + " vs " + v[i];
      }
    }
    return null;
  }

  /** Detached copies of {@code tensors} (so later in-place updates of the originals do not show). */
  static Map<String, Tensor> copyOf(Map<String, Tensor> tensors) {
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    try (var off = GradMode.off()) {
      for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
        Tensor c = Tensor.zeros(e.getValue().dtype(), e.getValue().shape());
        c.copyFrom(e.getValue().detach());
        out.put(e.getKey(), c);
      }
    }
    return out;
  }

  /** Bytes of tensor data held. */
  public long bytes() {
    long b = 0;
    for (Tensor t : parameters.values()) b += (long) t.numel() * t.dtype().bytes;
    for (Tensor t : optimizerState.values()) b += (long) t.numel() * t.dtype().bytes;
    return b;
  }
}
