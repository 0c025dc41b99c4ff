/**
 * The OpenCL backend: tensors in the memory of a GPU (or of any OpenCL device, such as PoCL's CPU
 * device), through JOCL.
 *
 * <h2>Use</h2>
 * {@link dev.unroll.autodiff.opencl.DeviceChoice#fromEnvironment()} gives the backend that
 * {@code -Dunroll.device} or {@code UNROLL_DEVICE} asks for ({@code cpu}, {@code opencl},
 * {@code opencl:N}; by default the fastest GPU, else the CPU). Move tensors with
 * {@code x.to(backend)}; ops on device tensors run on the device and their results stay there;
 * {@code item()}, {@code toDoubleArray()}, {@code get()} and {@code x.to(Backends.cpu())} read back.
 * Moves are differentiable, so gradients, Hessian-vector products and everything built on the
 * autodiff engine run on the device unchanged. {@link dev.unroll.autodiff.opencl.OpenCl} has the
 * device report, the shared backend of each device, and the gradient checks of every op on a device.
 *
 * <h2>Training</h2>
 * {@link dev.unroll.autodiff.opencl.ClBackend} implements {@link dev.unroll.autodiff.InPlaceUpdates}:
 * the optimizers of the optim module update parameters and their buffers on the device with one
 * fused kernel each (the same operations as their CPU loops). {@code nn.Module.to(backend)} moves
 * a model's parameters; the trainer does this when {@code UNROLL_DEVICE} (or a device in its
 * options) asks for it, and SOURCE's and EK-FAC's captured passes run on the device inside
 * {@code tda.grad.CapturedPass.onDevice}. Checkpoints, factors and scores come back to the CPU.
 *
 * <h2>Requirements</h2>
 * JOCL loads the OpenCL ICD loader by the name {@code libOpenCL.so} (Debian: ocl-icd-opencl-dev)
 * and needs a driver (a GPU vendor's, or pocl-opencl-icd). Without them the device list is empty,
 * {@link dev.unroll.autodiff.opencl.ClDevices#problem()} says why, and the device choice falls back
 * to the CPU with one message. The JVM should run with {@code --enable-native-access=ALL-UNNAMED}.
 *
 * <h2>Numbers</h2>
 * Float32 on every device, float64 where it has cl_khr_fp64. Matrix products, convolution layout
 * (im2col, col2im), gather, scatter-add, copies and casts give bit for bit the results of the scalar
 * CPU reference: the kernels sum in the reference's order and never fuse a multiply and an add.
 * Elementwise maps use the device's math library; reductions of rows longer than 64 use a fixed
 * tree, so results repeat exactly from run to run but may differ from the CPU in the last bits.
 *
 * <h2>Resources</h2>
 * Each {@link dev.unroll.autodiff.opencl.ClBackend} owns its context, queue, programs, kernels and
 * buffers. A buffer is released exactly once: when the last tensor viewing it becomes unreachable
 * (a {@link java.lang.ref.Cleaner}) or at the backend's {@code close()}, whichever is first.
 */
package dev.unroll.autodiff.opencl;
