package dev.unroll.tda.unroll;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.Tensor;
import dev.unroll.optim.Optimizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Any optimizer: reverse mode through the graph of its functional {@link Optimizer#update}, built once per step. */
final class GraphVjp implements UpdateVjp {
  private final List<Tensor> outs = new ArrayList<>(), ins = new ArrayList<>();
  private final int p, ns;

  GraphVjp(Optimizer opt, List<String> names, List<Tensor> theta, Map<String, Tensor> state, List<String> stateKeys, List<Tensor> grad, double lr) {
    List<Tensor> uTheta = ReverseSweep.leaves(theta);
    List<Tensor> uG = new ArrayList<>();
    for (Tensor g : grad) uG.add(g.detach().requiresGrad(true));
    Map<String, Tensor> uState = new LinkedHashMap<>(state);
    List<Tensor> uSigma = new ArrayList<>();
    for (String key : stateKeys) {
      Tensor leaf = state.get(key).detach().requiresGrad(true);
      uState.put(key, leaf);
      uSigma.add(leaf);
    }
    Optimizer.Update u = opt.update(names, uTheta, uState, uG, lr);
    outs.addAll(u.params());
    for (String key : stateKeys) outs.add(u.state().get(key));
    ins.addAll(uTheta);
    ins.addAll(uSigma);
    ins.addAll(uG);
    p = uTheta.size();
    ns = uSigma.size();
  }

  @Override
  @SuppressWarnings("unchecked")
  public List<Tensor>[] apply(List<Tensor> aTheta, List<Tensor> aSigma) {
    List<Tensor> seeds = new ArrayList<>(aTheta);
    seeds.addAll(aSigma);
    List<Tensor> adj = ReverseSweep.detached(Autograd.grad(outs, seeds, ins, false, true, true));
    return new List[] {adj.subList(0, p), adj.subList(p, p + ns), adj.subList(p + ns, p + ns + p)};
  }
}
