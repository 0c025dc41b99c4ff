package dev.unroll.nn;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A differentiable function with named parameters, composed of child modules. Parameters and
 * children are kept in registration order, so {@link #parameters()} is a fixed order that flat
 * vectors, optimizer state and checkpoints all follow. Names are dotted paths from the root
 * ("layers.0.weight"): when a module is registered as a child its parameters' names get the
 * child's name as a prefix, so a module belongs to at most one parent.
 */
public abstract class Module {
  private final List<Parameter> own = new ArrayList<>();
  private final LinkedHashMap<String, Module> children = new LinkedHashMap<>();
  private String path = "";
  private boolean attached;

  /** The output of this module for input {@code x}. */
  public abstract Tensor forward(Tensor x);

  /** Registers a parameter of this module under {@code localName}. */
  protected final Parameter addParameter(String localName, Tensor initial) {
    for (Parameter p : own) {
      if (p.name().equals(path + localName)) throw new IllegalArgumentException("duplicate parameter name '" + localName + "' in " + getClass().getSimpleName());
    }
    Parameter p = new Parameter(path + localName, initial);
    own.add(p);
    return p;
  }

  /** Registers {@code child} under {@code name}; returns it. */
  protected final <M extends Module> M addChild(String name, M child) {
    Module c = child;
    if (c.attached) throw new IllegalArgumentException("module " + c.getClass().getSimpleName() + " '" + c.displayName() + "' already has a parent; create a new one");
    if (children.containsKey(name)) throw new IllegalArgumentException("duplicate child name '" + name + "' in " + getClass().getSimpleName());
    if (c == this) throw new IllegalArgumentException("a module cannot be its own child");
    c.attached = true;
    children.put(name, c);
    c.prefixAll(path + name + ".");
    return child;
  }

  private void prefixAll(String prefix) {
    path = prefix + path;
    for (Parameter p : own) p.prefix(prefix);
    for (Module c : children.values()) c.prefixAll(prefix);
  }

  /** This module's dotted path from the root, with a trailing dot ("" for the root, "layers.0." below it). */
  public final String path() {
    return path;
  }

  /** This module's name for messages and captured layers: its path without the trailing dot, or the class name at the root. */
  public final String displayName() {
    return path.isEmpty() ? getClass().getSimpleName() : path.substring(0, path.length() - 1);
  }

  /** The direct children in registration order. */
  public final Map<String, Module> children() {
    return Collections.unmodifiableMap(children);
  }

  /** All parameters, this module's own first, then each child's recursively, in registration order. */
  public final List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>();
    collect(out);
    return out;
  }

  private void collect(List<Parameter> out) {
    out.addAll(own);
    for (Module c : children.values()) c.collect(out);
  }

  /** This module's own parameters (not its children's). */
  public final List<Parameter> ownParameters() {
    return Collections.unmodifiableList(own);
  }

  /** The current parameter values in {@link #parameters()} order. */
  public final List<Tensor> parameterValues() {
    List<Tensor> out = new ArrayList<>();
    for (Parameter p : parameters()) out.add(p.value());
    return out;
  }

  /** The parameter called {@code name}; throws naming the known ones if absent. */
  public final Parameter parameter(String name) {
    List<String> names = new ArrayList<>();
    for (Parameter p : parameters()) {
      if (p.name().equals(name)) return p;
      names.add(p.name());
    }
    throw new IllegalArgumentException("no parameter '" + name + "'; the model has " + names);
  }

  /** Total number of scalar parameters. */
  public final long numParameters() {
    long n = 0;
    for (Parameter p : parameters()) n += p.numel();
    return n;
  }

  /**
   * Moves every parameter to {@code backend}: each value is replaced by a fresh leaf there holding
   * the same numbers (parameters already on a CPU backend stay when the target is a CPU backend).
   * Forward passes then need their inputs on that backend; {@link #stateDict()} still returns CPU
   * copies. Returns this.
   */
  public final Module to(Backend backend) {
    try (var s = GradMode.off()) {
      for (Parameter p : parameters()) {
        Tensor v = p.value();
        if (v.backend() == backend || (v.backend().isCpu() && backend.isCpu())) continue;
        if (!v.isLeaf()) throw new IllegalStateException("to(" + backend.name() + "): parameter '" + p.name() + "' holds a graph node; move leaves only");
        p.set(v.detach().to(backend));
      }
    }
    return this;
  }

  /** Clears the accumulated gradients of every parameter. */
  public final void zeroGrad() {
    for (Parameter p : parameters()) p.value().zeroGrad();
  }

  /** A detached copy of every parameter value, by name, in parameter order (a checkpoint). */
  public final Map<String, Tensor> stateDict() {
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    try (var s = GradMode.off()) {
      for (Parameter p : parameters()) out.put(p.name(), copy(p.value()));
    }
    return out;
  }

  /** Overwrites every parameter in place with the tensor of its name; the names must match exactly. */
  public final void loadStateDict(Map<String, Tensor> state) {
    List<Parameter> ps = parameters();
    if (state.size() != ps.size()) throw new IllegalArgumentException("state has " + state.size() + " tensors, the model " + ps.size() + " parameters");
    for (Parameter p : ps) {
      Tensor t = state.get(p.name());
      if (t == null) throw new IllegalArgumentException("state has no tensor for parameter '" + p.name() + "'; it has " + state.keySet());
      p.assign(t);
    }
  }

  /**
   * Runs {@code body} with the parameters temporarily set to {@code values} (in {@link #parameters()}
   * order, e.g. from {@link ParameterVector#split}), then restores the previous values. The values
   * may be graph nodes: a loss computed inside is then differentiable with respect to whatever they
   * were computed from, which is how the loss is evaluated at arbitrary parameters for
   * Hessian-vector products.
   */
  public final <T> T withParameters(List<Tensor> values, Supplier<T> body) {
    List<Parameter> ps = parameters();
    if (values.size() != ps.size()) throw new IllegalArgumentException("withParameters: " + values.size() + " values for " + ps.size() + " parameters");
    List<Tensor> saved = new ArrayList<>(ps.size());
    for (Parameter p : ps) saved.add(p.value());
    try {
      for (int i = 0; i < ps.size(); i++) ps.get(i).set(values.get(i));
      return body.get();
    } finally {
      for (int i = 0; i < ps.size(); i++) ps.get(i).set(saved.get(i));
    }
  }

  static Tensor copy(Tensor t) {
    Tensor c = Tensor.zeros(t.dtype(), t.shape());
    c.copyFrom(t.detach());
    return c;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(getClass().getSimpleName());
    if (!children.isEmpty()) {
      sb.append('(');
      boolean first = true;
      for (Map.Entry<String, Module> e : children.entrySet()) {
        if (!first) sb.append(", ");
        first = false;
        sb.append(e.getKey()).append(": ").append(e.getValue());
      }
      sb.append(')');
    }
    return sb.toString();
  }
}
