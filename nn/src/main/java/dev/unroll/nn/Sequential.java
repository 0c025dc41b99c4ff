package dev.unroll.nn;

import dev.unroll.autodiff.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Modules applied one after another; the children are named "0", "1", ... as in PyTorch. */
public final class Sequential extends Module {
  private final List<Module> layers = new ArrayList<>();

  public Sequential(Module... layers) {
    for (Module m : layers) add(m);
  }

  public Sequential(List<? extends Module> layers) {
    for (Module m : layers) add(m);
  }

  /** Appends a module; returns this. */
  public Sequential add(Module m) {
    addChild(Integer.toString(layers.size()), m);
    layers.add(m);
    return this;
  }

  public List<Module> layers() {
    return Collections.unmodifiableList(layers);
  }

  public Module get(int i) {
    return layers.get(i);
  }

  public int size() {
    return layers.size();
  }

  @Override
  public Tensor forward(Tensor x) {
    Tensor h = x;
    for (Module m : layers) h = m.forward(h);
    return h;
  }
}
