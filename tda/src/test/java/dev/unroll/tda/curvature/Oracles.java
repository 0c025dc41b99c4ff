package dev.unroll.tda.curvature;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.CrossEntropyLoss;
import dev.unroll.nn.Module;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.ParameterVector;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.grad.CapturedPass;
import dev.unroll.tda.grad.GradientLayout;
import java.util.List;

/**
 * Curvature matrices computed the plain way, independently of the capture machinery: output
 * Jacobians one example and one output at a time by reverse mode, the loss's output Hessian in
 * closed form, per-example gradients one example at a time.
 */
public final class Oracles {
  private Oracles() {}

  /** J_i [d_out][P] (block order) of example i's outputs. */
  public static double[][] jacobian(AttributionTask t, List<Tensor> params, int i) {
    Module m = t.model();
    Batch b = t.train().batch(new int[] {i});
    List<Tensor> leaves = CapturedPass.leaves(params);
    Tensor out = m.withParameters(leaves, () -> m.forward(b.x()));
    int d = out.numel();
    double[][] j = new double[d][];
    for (int c = 0; c < d; c++) {
      double[] e = new double[d];
      e[c] = 1;
      List<Tensor> g = Derivatives.vjp(out, leaves, Tensor.of(DType.F64, e, out.shape()), false);
      j[c] = t.layout().flatten(g).toDoubleArray();
      out = c + 1 < d ? m.withParameters(leaves, () -> m.forward(b.x())) : out;
    }
    return j;
  }

  /** Example i's outputs f(x_i) (flattened) by a plain forward pass. */
  public static double[] output(AttributionTask t, List<Tensor> params, int i) {
    Module m = t.model();
    Batch b = t.train().batch(new int[] {i});
    return m.withParameters(CapturedPass.leaves(params), () -> m.forward(b.x())).toDoubleArray();
  }

  /** ∇²_f L of example i in closed form: 2I (squared error) or diag(p) − ppᵀ (cross-entropy). */
  public static double[][] outputHessian(AttributionTask t, List<Tensor> params, int i) {
    Module m = t.model();
    Batch b = t.train().batch(new int[] {i});
    double[] f = m.withParameters(CapturedPass.leaves(params), () -> m.forward(b.x())).toDoubleArray();
    int d = f.length;
    double[][] h = new double[d][d];
    if (t.loss() instanceof MseLoss) {
      for (int c = 0; c < d; c++) h[c][c] = 2;
    } else if (t.loss() instanceof CrossEntropyLoss) {
      double[] p = OutputDirections.softmax(f, 1, d);
      for (int a = 0; a < d; a++) for (int c = 0; c < d; c++) h[a][c] = (a == c ? p[a] : 0) - p[a] * p[c];
    } else throw new IllegalArgumentException("no closed form for " + t.loss());
    return h;
  }

  /** The Gauss-Newton matrix (1/N)·Σ J_iᵀ H_i J_i in block order. */
  public static double[][] gaussNewton(AttributionTask t, List<Tensor> params) {
    int p = t.layout().size(), n = t.numTrain();
    double[][] g = new double[p][p];
    for (int i = 0; i < n; i++) {
      double[][] j = jacobian(t, params, i), h = outputHessian(t, params, i);
      int d = j.length;
      double[][] hj = new double[d][p];
      for (int a = 0; a < d; a++) for (int c = 0; c < d; c++) for (int k = 0; k < p; k++) hj[a][k] += h[a][c] * j[c][k];
      for (int a = 0; a < d; a++) for (int x = 0; x < p; x++) {
        double ja = j[a][x];
        if (ja == 0) continue;
        for (int y = 0; y < p; y++) g[x][y] += ja * hj[a][y] / n;
      }
    }
    return g;
  }

  /** ∇L(z_i) in block order by plain autodiff on example i alone. */
  public static double[] gradient(AttributionTask t, List<Tensor> params, int i) {
    Module m = t.model();
    Batch b = t.train().batch(new int[] {i});
    List<Tensor> leaves = CapturedPass.leaves(params);
    Tensor loss = m.withParameters(leaves, () -> t.loss().sum(m.forward(b.x()), b.y()));
    return t.layout().flatten(Derivatives.gradient(loss, leaves)).toDoubleArray();
  }

  /** The empirical Fisher (1/N)·Σ ∇L_i ∇L_iᵀ in block order. */
  public static double[][] empiricalFisher(AttributionTask t, List<Tensor> params) {
    int p = t.layout().size(), n = t.numTrain();
    double[][] f = new double[p][p];
    for (int i = 0; i < n; i++) {
      double[] g = gradient(t, params, i);
      for (int x = 0; x < p; x++) for (int y = 0; y < p; y++) f[x][y] += g[x] * g[y] / n;
    }
    return f;
  }

  /** The exact Hessian of the mean training loss, block order. */
  static double[][] hessian(AttributionTask t, List<Tensor> params) {
    Module m = t.model();
    ParameterVector pv = t.layout().parameterVector();
    Tensor theta = ParameterVector.concat(CapturedPass.leaves(params)).detach();
    Batch all = t.train().batch(range(t.numTrain()));
    double[][] h = Derivatives.hessian(th -> m.withParameters(pv.split(th), () -> t.loss().mean(m.forward(all.x()), all.y())), theta);
    return t.layout().toBlockOrder(h);
  }

  /** A Kronecker curvature as its explicit P × P matrix (φ = identity applied to the unit vectors). */
  static double[][] dense(KroneckerCurvature c) {
    int p = c.layout().size();
    double[] eye = new double[p * p];
    for (int i = 0; i < p; i++) eye[i * p + i] = 1;
    double[] g = c.apply(SpectralFunction.of("identity", s -> s), Tensor.of(eye, p, p)).toDoubleArray();
    double[][] out = new double[p][p];
    for (int i = 0; i < p; i++) System.arraycopy(g, i * p, out[i], 0, p);
    return out;
  }

  /** The sub-matrix of block b. */
  static double[][] block(double[][] g, GradientLayout l, int b) {
    GradientLayout.Block bl = l.block(b);
    double[][] out = new double[bl.size()][bl.size()];
    for (int i = 0; i < bl.size(); i++) System.arraycopy(g[bl.offset() + i], bl.offset(), out[i], 0, bl.size());
    return out;
  }

  static int[] range(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) r[i] = i;
    return r;
  }

  static double maxRelative(double[][] e, double[][] a) {
    return dev.unroll.tda.Fixtures.relativeError(e, a);
  }
}
