package dev.unroll.nn;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;

/**
 * A ResNet-style block without normalisation: y = conv2(relu(conv1(x))) + skip(x), where conv1 is
 * 3×3 with the given stride and padding 1 (in → out channels), conv2 is 3×3, stride 1, padding 1
 * (out → out), and skip is the identity when the shapes agree, otherwise a 1×1 convolution with the
 * stride ("proj"). No activation follows the sum, so a ReLU can be placed after the block as needed.
 * Children: "conv1", "conv2" and, when present, "proj"; initialised in that order from the rng.
 */
public final class ResidualBlock extends Module {
  private final Conv2d conv1, conv2, proj;

  public ResidualBlock(int in, int out, int stride, DType dtype, Rng rng) {
    conv1 = addChild("conv1", new Conv2d(in, out, 3, stride, 1, dtype, rng));
    conv2 = addChild("conv2", new Conv2d(out, out, 3, 1, 1, dtype, rng));
    proj = in != out || stride != 1 ? addChild("proj", new Conv2d(in, out, 1, stride, 0, dtype, rng)) : null;
  }

  /** Same channels, stride 1: the skip is the identity. */
  public ResidualBlock(int channels, DType dtype, Rng rng) {
    this(channels, channels, 1, dtype, rng);
  }

  public Conv2d conv1() { return conv1; }

  public Conv2d conv2() { return conv2; }

  /** The 1×1 projection on the skip path, or null for the identity. */
  public Conv2d projection() { return proj; }

  @Override
  public Tensor forward(Tensor x) {
    Tensor h = conv2.forward(conv1.forward(x).relu());
    return h.add(proj == null ? x : proj.forward(x));
  }
}
