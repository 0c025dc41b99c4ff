package dev.unroll.autodiff;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reverse-mode engine. It orders the recorded graph topologically, runs each node's
 * vector-Jacobian rule once all gradients with respect to its output have arrived, sums gradients
 * in broadcast shape back to each input's shape, and accumulates. With {@code createGraph} the
 * rules run with recording on, so the gradients are themselves differentiable.
 */
public final class Autograd {
  private Autograd() {}

  /** loss.backward(): accumulates ∂loss/∂leaf into the {@code grad} of every leaf requiring it. */
  static void backward(Tensor loss) {
    if (loss.numel() != 1) throw new IllegalArgumentException("backward() needs a scalar, got shape " + Shape.str(loss.shape) + "; pass a gradient to grad(...)");
    if (!loss.requiresGrad) throw new IllegalStateException("backward() on a tensor that does not require grad (no input of its graph requires grad)");
    Map<Tensor, Tensor> grads = run(List.of(loss), List.of(loss.constant(1).reshape(loss.shape)), false, false);
    for (Map.Entry<Tensor, Tensor> e : grads.entrySet()) {
      Tensor t = e.getKey();
      if (t.node == null && t.requiresGrad) t.grad = t.grad == null ? e.getValue().detach() : Ops.add(t.grad, e.getValue()).detach();
    }
  }

  /**
   * Gradients of Σᵢ ⟨outputsᵢ, gradOutputsᵢ⟩ with respect to each input (a vector-Jacobian
   * product). A null gradOutputs list means ones for scalar outputs. An input the outputs do not
   * depend on gets zeros when {@code allowUnused}, an error otherwise.
   *
   * @param createGraph record the backward pass so that the result can be differentiated again
   * @param retainGraph keep the forward graph for another backward pass (implied by createGraph)
   */
  public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> gradOutputs, List<Tensor> inputs,
      boolean createGraph, boolean retainGraph, boolean allowUnused) {
    List<Tensor> seeds = new ArrayList<>();
    for (int i = 0; i < outputs.size(); i++) {
      Tensor o = outputs.get(i);
      Tensor g = gradOutputs == null ? null : gradOutputs.get(i);
      if (g == null) {
        if (o.numel() != 1) throw new IllegalArgumentException("grad: output " + i + " has shape " + Shape.str(o.shape) + "; a gradient for it must be given");
        g = o.constant(1).reshape(o.shape);
      } else if (!Arrays.equals(g.shape, o.shape)) {
        throw new IllegalArgumentException("grad: gradient of shape " + Shape.str(g.shape) + " for output of shape " + Shape.str(o.shape));
      }
      seeds.add(g);
    }
    for (Tensor in : inputs) {
      if (!in.requiresGrad) throw new IllegalArgumentException("grad: an input " + (in.name != null ? "'" + in.name + "' " : "") + "of shape " + Shape.str(in.shape) + " does not require grad");
    }
    Map<Tensor, Tensor> grads = run(outputs, seeds, createGraph, retainGraph || createGraph);
    List<Tensor> out = new ArrayList<>(inputs.size());
    for (Tensor in : inputs) {
      Tensor g = grads.get(in);
      if (g == null) {
        if (!allowUnused) throw new IllegalArgumentException("grad: the outputs do not depend on an input of shape " + Shape.str(in.shape) + " (pass allowUnused)");
        g = Tensor.zeros(in.dtype, in.shape);
        if (!in.backend.isCpu()) g = in.backend.fromCpu(g);
      }
      out.add(g);
    }
    return out;
  }

  /** Gradient of a scalar with respect to inputs, without building a graph. */
  public static List<Tensor> grad(Tensor scalar, List<Tensor> inputs) {
    return grad(List.of(scalar), null, inputs, false, false, true);
  }

  private static Map<Tensor, Tensor> run(List<Tensor> outputs, List<Tensor> seeds, boolean createGraph, boolean retain) {
    List<Tensor> order = topologicalOrder(outputs);
    Map<Tensor, Tensor> grads = new IdentityHashMap<>();
    for (int i = 0; i < outputs.size(); i++) accumulate(grads, outputs.get(i), seeds.get(i));
    try (var mode = GradMode.set(createGraph)) {
      for (Tensor t : order) {
        Node node = t.node;
        Tensor g = grads.get(t);
        if (g == null || node == null) continue;
        if (node.freed()) {
          throw new IllegalStateException("backward through a graph that was already freed (at op " + node.op + "); pass retainGraph=true to the first grad call, or recompute the forward pass");
        }
        Tensor[] gs = node.backward.apply(g);
        Tensor[] in = node.inputs;
        for (int i = 0; i < in.length; i++) {
          if (gs[i] == null || !in[i].requiresGrad) continue;
          accumulate(grads, in[i], sumToShape(gs[i], in[i].shape));
        }
        if (!retain) node.free();
      }
    }
    return grads;
  }

  private static void accumulate(Map<Tensor, Tensor> grads, Tensor t, Tensor g) {
    Tensor prev = grads.get(t);
    grads.put(t, prev == null ? g : Ops.add(prev, g));
  }

  /** Sums a gradient of broadcast shape back to {@code shape} (the engine's one place that undoes broadcasting). */
  static Tensor sumToShape(Tensor g, int[] shape) {
    if (Arrays.equals(g.shape, shape)) return g;
    int lead = g.rank() - shape.length;
    int[] axes = new int[g.rank()];
    int k = 0;
    for (int i = 0; i < g.rank(); i++) {
      if (i < lead || (shape[i - lead] == 1 && g.shape[i] != 1)) axes[k++] = i;
    }
    Tensor s = k == 0 ? g : Ops.sum(g, true, Arrays.copyOf(axes, k));
    return Arrays.equals(s.shape, shape) ? s : Ops.reshape(s, shape);
  }

  /** Tensors with a recorded producer reachable from the outputs, each before its inputs. */
  private static List<Tensor> topologicalOrder(List<Tensor> outputs) {
    Map<Tensor, Boolean> visited = new IdentityHashMap<>();
    List<Tensor> post = new ArrayList<>();
    ArrayDeque<Object[]> stack = new ArrayDeque<>();
    for (Tensor o : outputs) {
      if (o.node == null || visited.containsKey(o)) continue;
      visited.put(o, Boolean.TRUE);
      stack.push(new Object[] {o, 0});
      while (!stack.isEmpty()) {
        Object[] top = stack.peek();
        Tensor t = (Tensor) top[0];
        int i = (Integer) top[1];
        Tensor[] in = t.node.inputs;
        if (in != null && i < in.length) {
          top[1] = i + 1;
          Tensor c = in[i];
          if (c.node != null && !visited.containsKey(c)) {
            visited.put(c, Boolean.TRUE);
            stack.push(new Object[] {c, 0});
          }
        } else {
          stack.pop();
          post.add(t);
        }
      }
    }
    java.util.Collections.reverse(post);
    return post;
  }
}
