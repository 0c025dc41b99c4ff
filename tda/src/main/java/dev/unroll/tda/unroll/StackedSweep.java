package dev.unroll.tda.unroll;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Linear;
import dev.unroll.nn.Loss;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Mlp;
import dev.unroll.nn.Module;
import dev.unroll.nn.Parameter;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.Optimizer;
import dev.unroll.optim.Sgd;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.RunRecord;
import dev.unroll.optim.train.Trajectory;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link ExactUnroll}'s reverse sweep for a block of Q queries at once, for an {@link Mlp} trained
 * with SGD in every stage. The Q adjoints (a_θ, a_v) are stacked along a new leading axis, [Q, …]
 * per parameter, and step k's gradient graph is built over Q stacked copies Θ = (θ_k, …, θ_k) with
 * copy q seeing the batch through its own slice (batched matrix products) and its own loss
 * weights w_q:
 * <pre>  J(Θ, W) = Σ_q J_k(Θ_q, w_q),  ∇_{Θ_q} J = ∇_θ J_k(θ_k, w_q).</pre>
 * The copies do not interact, so one double-backward pass of ⟨∇_Θ J, B_g⟩ (B_g the stacked
 * adjoints of the gradient) gives H_k·b_{g,q} in slice q and ∂⟨∇_θJ_k, b_{g,q}⟩/∂w_q in row q of
 * ∂/∂W: exactly the one-query sweep's numbers, with each operation run once per block instead of
 * once per query. On small models, where per-operation overhead dominates, that is most of the
 * cost. SGD's adjoint ({@link ExactUnroll.SgdVjp}) is elementwise and applies to the stacks as
 * they are.
 */
final class StackedSweep {
  private final Trajectory tr;
  private final RunRecord rec;
  private final RunConfig cfg;
  private final Dataset queries;
  private final Measurement f;
  private final int[] rows;
  private final double[][][] tau;
  private final Mlp model;
  private final Loss loss;
  /** For each Linear of the MLP in order: the positions of its weight and bias (−1: none) in the parameter list. */
  private final List<int[]> linearParams = new ArrayList<>();

  /** Whether the stacked sweep applies: an {@link Mlp} (Linear layers and elementwise activations) trained with SGD in every stage. */
  static boolean applies(Module model, RunConfig cfg) {
    if (!(model instanceof Mlp)) return false;
    for (int s = 0; s < cfg.numStages(); s++) if (!(cfg.stage(s).optimizer().create() instanceof Sgd)) return false;
    return true;
  }

  StackedSweep(Trajectory tr, Dataset queries, Measurement f, int[] rows, double[][][] tau) {
    this.tr = tr;
    this.rec = tr.record();
    this.cfg = rec.config();
    this.queries = queries;
    this.f = f;
    this.rows = rows;
    this.tau = tau;
    this.model = (Mlp) tr.newModel();
    this.loss = cfg.lossFunction();
    Map<Parameter, Integer> index = new IdentityHashMap<>();
    List<Parameter> ps = model.parameters();
    for (int i = 0; i < ps.size(); i++) index.put(ps.get(i), i);
    for (Module m : model.layers().layers()) {
      if (m instanceof Linear l) linearParams.add(new int[] {index.get(l.weight()), l.bias() == null ? -1 : index.get(l.bias())});
    }
  }

  void run() {
    int nq = rows.length;
    int t = rec.totalSteps();
    List<Tensor> thetaT = leaves(tr.at(t).parameterList());
    List<List<Tensor>> perQuery = new ArrayList<>(nq);
    for (int row : rows) {
      Batch b = queries.batch(new int[] {row});
      Tensor fq = model.withParameters(thetaT, () -> f.perExample(model.forward(b.x()), b.y()).sum());
      perQuery.add(Autograd.grad(List.of(fq), null, thetaT, false, false, true));
    }
    List<Tensor> aTheta = stack(perQuery);
    List<Tensor> aState = List.of();
    int stage = -1;
    Sgd opt = null;
    for (int k = t - 1; k >= 0; k--) {
      int s = rec.stageOf(k);
      if (s != stage) {
        stage = s;
        opt = (Sgd) cfg.stage(s).optimizer().create();
        // A stage starts from a fixed optimizer state: the momentum adjoint restarts at 0.
        aState = new ArrayList<>();
        if (opt.momentum() != 0) for (Tensor a : aTheta) aState.add(Tensor.zeros(a.dtype(), a.shape()));
      }
      List<Tensor>[] next = step(k, s, opt, aTheta, aState);
      aTheta = next[0];
      aState = next[1];
    }
  }

  @SuppressWarnings("unchecked")
  private List<Tensor>[] step(int k, int s, Sgd opt, List<Tensor> aTheta, List<Tensor> aState) {
    int nq = rows.length;
    List<Tensor> thetaK = tr.at(k).parameterList();
    int[] batchRows = rec.batch(k);
    int bs = batchRows.length;
    Batch b = tr.stageData().get(s).batch(batchRows);
    DType dt = cfg.dataType();
    double[] w0 = cfg.stage(s).weights();
    double[] wv = new double[bs];
    for (int j = 0; j < bs; j++) wv[j] = w0 == null ? 1 : w0[batchRows[j]];
    double[] wq = new double[nq * bs];
    int[] repeat = new int[nq * bs];
    for (int q = 0; q < nq; q++) {
      System.arraycopy(wv, 0, wq, q * bs, bs);
      for (int j = 0; j < bs; j++) repeat[q * bs + j] = j;
    }
    Targets yq = b.y().select(repeat);

    List<Tensor> theta = new ArrayList<>(thetaK.size());
    try (var off = GradMode.off()) {
      for (Tensor p : thetaK) theta.add(stackCopies(p, nq));
    }
    for (int i = 0; i < theta.size(); i++) theta.set(i, theta.get(i).requiresGrad(true));
    Tensor w = Tensor.of(dt, wq, nq * bs).requiresGrad(true);
    Tensor out = forward(theta, b.x(), nq);
    // Loss.weightedMean's (1/B)·Σ wᵢLᵢ summed over the copies (it would divide by all Q·B rows):
    // the same operations per row as the one-query sweep, so the same bits.
    Tensor l = loss.perExample(out.reshape(nq * bs, out.dim(-1)), yq);
    Tensor j = l.mul(w.to(l.dtype())).sum().div(bs);
    List<Tensor> grad = Autograd.grad(List.of(j), null, theta, true, true, true);
    List<Tensor>[] adj = new ExactUnroll.SgdVjp(opt, rec.lr(k)).apply(aTheta, aState);
    Tensor dot = Derivatives.dot(grad, adj[2]);
    List<Tensor> thetaAndW = new ArrayList<>(theta);
    thetaAndW.add(w);
    List<Tensor> second = Autograd.grad(List.of(dot), null, thetaAndW, false, false, true);
    int p = theta.size();
    List<Tensor> nextTheta = new ArrayList<>(p);
    try (var off = GradMode.off()) {
      for (int n = 0; n < p; n++) nextTheta.add(adj[0].get(n).add(second.get(n).detach()));
    }
    // τ = −wᵢ·∂f/∂wᵢ, query q's derivatives in row q of ∂/∂W.
    double[] dw = second.get(p).toDoubleArray();
    for (int q = 0; q < nq; q++) {
      double[] row = tau[s][rows[q]];
      for (int jj = 0; jj < bs; jj++) row[batchRows[jj]] -= wv[jj] * dw[q * bs + jj];
    }
    return new List[] {nextTheta, adj[1]};
  }

  /** The MLP on x [B, in] with copy q of every parameter applied to slice q: [Q, B, out]. */
  private Tensor forward(List<Tensor> theta, Tensor x, int nq) {
    Tensor h = x;
    int layer = 0;
    for (Module m : model.layers().layers()) {
      if (m instanceof Linear) {
        int[] at = linearParams.get(layer++);
        // [B, in] or [Q, B, in] times [Q, in, out]: batch axes broadcast.
        h = h.matmul(theta.get(at[0]).transpose(-2, -1));
        if (at[1] >= 0) {
          Tensor bias = theta.get(at[1]);
          h = h.add(bias.reshape(nq, 1, bias.dim(-1)));
        }
      } else {
        // Activations are elementwise: any leading axes.
        h = m.forward(h);
      }
    }
    return h;
  }

  /** Q copies of p stacked along a new leading axis, as a fresh contiguous tensor [Q, …]. */
  private static Tensor stackCopies(Tensor p, int nq) {
    int[] shape = p.shape();
    int[] one = new int[shape.length + 1], many = new int[shape.length + 1];
    one[0] = 1;
    many[0] = nq;
    for (int i = 0; i < shape.length; i++) one[i + 1] = many[i + 1] = shape[i];
    Tensor e = p.detach().reshape(one).expand(many);
    Tensor c = Tensor.zeros(p.dtype(), many);
    c.copyFrom(e);
    return c;
  }

  /** Per-query lists of tensors stacked per position: [Q, …]. */
  private static List<Tensor> stack(List<List<Tensor>> perQuery) {
    int n = perQuery.get(0).size();
    List<Tensor> out = new ArrayList<>(n);
    try (var off = GradMode.off()) {
      for (int i = 0; i < n; i++) {
        Tensor[] parts = new Tensor[perQuery.size()];
        for (int q = 0; q < parts.length; q++) {
          Tensor g = perQuery.get(q).get(i).detach();
          int[] shape = g.shape();
          int[] one = new int[shape.length + 1];
          one[0] = 1;
          System.arraycopy(shape, 0, one, 1, shape.length);
          parts[q] = g.reshape(one);
        }
        out.add(Ops.concat(0, parts).contiguous());
      }
    }
    return out;
  }

  private static List<Tensor> leaves(List<Tensor> values) {
    List<Tensor> out = new ArrayList<>(values.size());
    for (Tensor v : values) out.add(v.detach().requiresGrad(true));
    return out;
  }
}
