package dev.unroll.nn;

import dev.unroll.autodiff.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A scope in which {@link Linear} and {@link Conv2d} layers record, for every call, their input a
 * and their output pre-activation s (a node of the graph). After the forward pass the caller gets
 * ∂L/∂s for every layer at once with {@code Autograd.grad(loss, outputs())} and turns the pairs into
 * Kronecker factors ({@link KfacLayer}) or per-example gradients ({@link PerExampleGradients}).
 *
 * <pre>{@code
 * try (Capture cap = Capture.start()) {
 *   Tensor loss = lossFn.perExample(model.forward(x), y).sum();
 *   List<Tensor> ds = Autograd.grad(List.of(loss), null, cap.outputs(), false, false, true);
 *   ...
 * }
 * }</pre>
 *
 * Scopes are per thread and nest: a layer records into the innermost open scope only. A layer
 * called twice in one forward pass records twice.
 */
public final class Capture implements AutoCloseable {
  private static final ThreadLocal<ArrayDeque<Capture>> OPEN = ThreadLocal.withInitial(ArrayDeque::new);

  /** One call of a layer: the module, its input and its output. */
  public record Record(Module layer, Tensor input, Tensor output) {
    /** The layer's dotted name in the model ("layers.0"). */
    public String name() {
      return layer.displayName();
    }
  }

  private final List<Record> records = new ArrayList<>();
  private boolean closed;

  private Capture() {}

  /** Opens a scope on this thread; close it with try-with-resources. */
  public static Capture start() {
    Capture c = new Capture();
    OPEN.get().push(c);
    return c;
  }

  /** Called by the capturing layers; does nothing outside a scope. */
  static void record(Module layer, Tensor input, Tensor output) {
    Capture c = OPEN.get().peek();
    if (c != null) c.records.add(new Record(layer, input, output));
  }

  /** The calls recorded so far, in execution order. */
  public List<Record> records() {
    return Collections.unmodifiableList(records);
  }

  /** The recorded outputs s, in execution order: the inputs to pass to Autograd.grad. */
  public List<Tensor> outputs() {
    List<Tensor> out = new ArrayList<>(records.size());
    for (Record r : records) out.add(r.output());
    return out;
  }

  /** The recorded calls as Kronecker-factor views ({@link KfacLayer#of}). */
  public List<KfacLayer> kfacLayers() {
    List<KfacLayer> out = new ArrayList<>(records.size());
    for (Record r : records) out.add(KfacLayer.of(r));
    return out;
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    ArrayDeque<Capture> open = OPEN.get();
    if (open.peek() != this) throw new IllegalStateException("Capture scopes closed out of order");
    open.pop();
  }
}
