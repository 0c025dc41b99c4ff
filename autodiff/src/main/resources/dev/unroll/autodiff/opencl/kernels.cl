// Kernels of the OpenCL backend (dev.unroll.autodiff.opencl.ClBackend).
//
// Compiled once per element type: T = float, and T = double (with -DUNROLL_DOUBLE) on devices with
// cl_khr_fp64. The host prepends the numbering of the ops (#define U_NEG 0, B_ADD 0, ...), taken
// from the Java enums UnaryOp and BinaryOp, so the two sides cannot drift apart.
//
// Every scalar argument is a 32-bit int (cl_int on the host); shapes and strides of up to MAXR axes
// travel as int8 vectors. Sizes and offsets are in elements.

#ifdef UNROLL_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double T;
#else
typedef float T;
#endif

// Products and sums are rounded separately, as in Java: a + b*c is never fused into one fma. With
// this, GEMM, col2im and scatter-add sum in the order of the scalar reference and agree bit for bit.
#pragma OPENCL FP_CONTRACT OFF

#define MAXR 8

// ------------------------------------------------------------------ scalar maps

inline T unary_op(int op, T x) {
  switch (op) {
    case U_NEG: return -x;
    case U_EXP: return exp(x);
    case U_LOG: return log(x);
    case U_LOG1P: return log1p(x);
    case U_EXPM1: return expm1(x);
    case U_SQRT: return sqrt(x);
    case U_TANH: return tanh(x);
    // The two branches avoid exp overflow, as UnaryOp.SIGMOID does.
    case U_SIGMOID: return x >= (T)0 ? (T)1 / ((T)1 + exp(-x)) : exp(x) / ((T)1 + exp(x));
    // NaN > 0 is false: relu(NaN) = 0, as in Java.
    case U_RELU: return x > (T)0 ? x : (T)0;
    case U_ABS: return fabs(x);
    // Math.signum: NaN and ±0 map to themselves (OpenCL's sign() maps NaN to 0).
    case U_SIGN: return x > (T)0 ? (T)1 : (x < (T)0 ? (T)-1 : x);
    case U_STEP: return x > (T)0 ? (T)1 : (T)0;
    default: return (T)NAN;
  }
}

inline T binary_op(int op, T a, T b) {
  switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    // Java's Math.pow is NaN for a NaN exponent and for (±1)^±∞, where C's pow gives 1.
    case B_POW: return (isnan(b) || (fabs(a) == (T)1 && isinf(b))) ? (T)NAN : pow(a, b);
    // Math.max/min: NaN if either is NaN, and +0 > −0 (fmax/fmin drop NaNs instead).
    case B_MAX: return isnan(a) ? a : isnan(b) ? b : a > b ? a : b > a ? b : (signbit(a) ? b : a);
    case B_MIN: return isnan(a) ? a : isnan(b) ? b : a < b ? a : b < a ? b : (signbit(a) ? a : b);
    case B_EQ: return a == b ? (T)1 : (T)0;
    case B_GT: return a > b ? (T)1 : (T)0;
    default: return (T)NAN;
  }
}

// Reduction step: a + b, or the larger with NaN winning (ScalarKernels.max).
inline T combine(int op, T a, T b) {
  if (op == B_ADD) return a + b;
  return isnan(a) ? a : isnan(b) ? b : (b > a ? b : a);
}

inline T identity(int op) {
  return op == B_ADD ? (T)0 : (T)(-INFINITY);
}

// ------------------------------------------------------------------ strided elementwise

// Each work-item handles the element of row-major linear index gid of `shape` and locates it in
// every operand by that operand's strides (0 along broadcast axes). Outputs are contiguous.

__kernel void unary(int op, __global const T* x, int xoff, int8 xst,
                    __global T* y, int rank, int8 shape, int n) {
  int gid = get_global_id(0);
  if (gid >= n) return;
  int sh[MAXR], sx[MAXR];
  vstore8(shape, 0, sh);
  vstore8(xst, 0, sx);
  int rem = gid, ox = xoff;
  for (int d = rank - 1; d >= 0; d--) {
    int i = rem % sh[d];
    rem /= sh[d];
    ox += i * sx[d];
  }
  y[gid] = unary_op(op, x[ox]);
}

__kernel void binary(int op, __global const T* a, int aoff, int8 ast,
                     __global const T* b, int boff, int8 bst,
                     __global T* z, int rank, int8 shape, int n) {
  int gid = get_global_id(0);
  if (gid >= n) return;
  int sh[MAXR], sa[MAXR], sb[MAXR];
  vstore8(shape, 0, sh);
  vstore8(ast, 0, sa);
  vstore8(bst, 0, sb);
  int rem = gid, oa = aoff, ob = boff;
  for (int d = rank - 1; d >= 0; d--) {
    int i = rem % sh[d];
    rem /= sh[d];
    oa += i * sa[d];
    ob += i * sb[d];
  }
  z[gid] = binary_op(op, a[oa], b[ob]);
}

__kernel void where3(__global const T* m, int moff, int8 mst,
                     __global const T* a, int aoff, int8 ast,
                     __global const T* b, int boff, int8 bst,
                     __global T* z, int rank, int8 shape, int n) {
  int gid = get_global_id(0);
  if (gid >= n) return;
  int sh[MAXR], sm[MAXR], sa[MAXR], sb[MAXR];
  vstore8(shape, 0, sh);
  vstore8(mst, 0, sm);
  vstore8(ast, 0, sa);
  vstore8(bst, 0, sb);
  int rem = gid, om = moff, oa = aoff, ob = boff;
  for (int d = rank - 1; d >= 0; d--) {
    int i = rem % sh[d];
    rem /= sh[d];
    om += i * sm[d];
    oa += i * sa[d];
    ob += i * sb[d];
  }
  z[gid] = m[om] != (T)0 ? a[oa] : b[ob];
}

// y at (yoff, yst) ← x at (xoff, xst), both strided: contiguous copies, and copies into slices
// (concat, pad, copyInto).
__kernel void copy(__global const T* x, int xoff, int8 xst,
                   __global T* y, int yoff, int8 yst, int rank, int8 shape, int n) {
  int gid = get_global_id(0);
  if (gid >= n) return;
  int sh[MAXR], sx[MAXR], sy[MAXR];
  vstore8(shape, 0, sh);
  vstore8(xst, 0, sx);
  vstore8(yst, 0, sy);
  int rem = gid, ox = xoff, oy = yoff;
  for (int d = rank - 1; d >= 0; d--) {
    int i = rem % sh[d];
    rem /= sh[d];
    ox += i * sx[d];
    oy += i * sy[d];
  }
  y[oy] = x[ox];
}

__kernel void fill_zero(__global T* y, int n) {
  int gid = get_global_id(0);
  if (gid < n) y[gid] = (T)0;
}

#ifdef UNROLL_DOUBLE
// Conversions of contiguous runs; double to float rounds to nearest even, like Java's (float) cast.
__kernel void to_double(__global const float* x, int xoff, __global double* y, int n) {
  int gid = get_global_id(0);
  if (gid < n) y[gid] = (double)x[xoff + gid];
}

__kernel void to_float(__global const double* x, int xoff, __global float* y, int n) {
  int gid = get_global_id(0);
  if (gid < n) y[gid] = (float)x[xoff + gid];
}
#endif

// ------------------------------------------------------------------ reductions

// Rows of length len, contiguous from xoff. Work-group g reduces chunk q = g % parts of row
// r = g / parts, elements [q·chunk, min(len, (q+1)·chunk)), into out[g]: each work-item walks the
// chunk with stride get_local_size(0), then a fixed pairwise tree combines the work-items. The
// order depends only on the sizes, so results repeat bit for bit. The local size is a power of two.
__kernel void reduce_rows(int op, __global const T* x, int xoff, int len, int chunk, int parts,
                          __global T* out, __local T* scratch) {
  int g = get_group_id(0);
  int r = g / parts, q = g % parts;
  int lid = get_local_id(0), wg = get_local_size(0);
  int start = q * chunk;
  int end = min(len, start + chunk);
  int base = xoff + r * len;
  T acc = identity(op);
  for (int j = start + lid; j < end; j += wg) acc = combine(op, acc, x[base + j]);
  scratch[lid] = acc;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int s = wg >> 1; s > 0; s >>= 1) {
    if (lid < s) scratch[lid] = combine(op, scratch[lid], scratch[lid + s]);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (lid == 0) out[g] = scratch[0];
}

// Short rows: one work-item reduces one row in index order (the scalar reference's order).
__kernel void reduce_rows_seq(int op, __global const T* x, int xoff, int len, __global T* out, int rows) {
  int r = get_global_id(0);
  if (r >= rows) return;
  int base = xoff + r * len;
  T acc = x[base];
  for (int j = 1; j < len; j++) acc = combine(op, acc, x[base + j]);
  out[r] = acc;
}

// Leading axes of a contiguous [len, cols] block: out[c] = x[0, c] ∘ x[1, c] ∘ … in row order
// (CpuBackend's row accumulation, e.g. bias gradients). Neighbouring work-items read neighbouring
// addresses.
__kernel void reduce_cols(int op, __global const T* x, int xoff, int len, int cols, __global T* out) {
  int c = get_global_id(0);
  if (c >= cols) return;
  T acc = x[xoff + c];
  for (int j = 1; j < len; j++) acc = combine(op, acc, x[xoff + j * cols + c]);
  out[c] = acc;
}

// ------------------------------------------------------------------ matrix product

// C[b] = op(A[b])·op(B[b]) for each batch b, C row-major [batch, M, N] from coff. op(A) is M×K with
// element (i, p) at A[oa + i·lda + p], or A[oa + p·lda + i] when ta; op(B) is K×N with (p, j) at
// B[ob + p·ldb + j], or B[ob + j·ldb + p] when tb. The batch index is split over bshape (row-major,
// brank axes) and located in A and B by the batch strides bsa, bsb (0 where broadcast).
//
// Tiling: a work-group of 8×8 work-items computes a TS×TS = 32×32 tile of C, each work-item a 4×4
// block with rows ty + 8·u and columns tx + 8·v (interleaved, so that local-memory reads of
// neighbours fall in different banks). A and B are staged through local memory TK = 16 values of p
// at a time. Each C element is one accumulator summed over p = 0, 1, …, K−1 in order, exactly as
// ScalarKernels.gemm does.
#define TS 32
#define TK 16
#define WPT 4
#define RTS 8

__kernel __attribute__((reqd_work_group_size(RTS, RTS, 1)))
void gemm(int ta, int tb, int M, int N, int K,
          __global const T* A, int aoff, int lda,
          __global const T* B, int boff, int ldb,
          __global T* C, int coff,
          int brank, int8 bshape, int8 bsa, int8 bsb) {
  __local T As[TK][TS];
  __local T Bs[TK][TS];
  int tx = get_local_id(0), ty = get_local_id(1);
  int col0 = get_group_id(0) * TS, row0 = get_group_id(1) * TS;
  int bz = get_global_id(2);
  int sh[MAXR], sa[MAXR], sb[MAXR];
  vstore8(bshape, 0, sh);
  vstore8(bsa, 0, sa);
  vstore8(bsb, 0, sb);
  int oa = aoff, ob = boff, rem = bz;
  for (int d = brank - 1; d >= 0; d--) {
    int i = rem % sh[d];
    rem /= sh[d];
    oa += i * sa[d];
    ob += i * sb[d];
  }
  int oc = coff + bz * M * N;
  int lid = ty * RTS + tx;
  T acc[WPT][WPT];
  for (int u = 0; u < WPT; u++)
    for (int v = 0; v < WPT; v++) acc[u][v] = (T)0;

  for (int k0 = 0; k0 < K; k0 += TK) {
    // Stage the tiles; neighbouring work-items load neighbouring addresses of global memory.
    for (int e = lid; e < TK * TS; e += RTS * RTS) {
      int p, i;
      if (ta) { i = e % TS; p = e / TS; } else { p = e % TK; i = e / TK; }
      int gi = row0 + i, gp = k0 + p;
      As[p][i] = (gi < M && gp < K) ? (ta ? A[oa + gp * lda + gi] : A[oa + gi * lda + gp]) : (T)0;
      int j, q;
      if (tb) { q = e % TK; j = e / TK; } else { j = e % TS; q = e / TS; }
      int gj = col0 + j, gq = k0 + q;
      Bs[q][j] = (gq < K && gj < N) ? (tb ? B[ob + gj * ldb + gq] : B[ob + gq * ldb + gj]) : (T)0;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    // Only real values of p are added, so the sums match the sequential reference exactly.
    int kend = min(TK, K - k0);
    for (int p = 0; p < kend; p++) {
      T bv[WPT];
      for (int v = 0; v < WPT; v++) bv[v] = Bs[p][tx + RTS * v];
      for (int u = 0; u < WPT; u++) {
        T av = As[p][ty + RTS * u];
        for (int v = 0; v < WPT; v++) acc[u][v] += av * bv[v];
      }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  for (int u = 0; u < WPT; u++) {
    int r = row0 + ty + RTS * u;
    if (r >= M) continue;
    for (int v = 0; v < WPT; v++) {
      int c = col0 + tx + RTS * v;
      if (c < N) C[oc + r * N + c] = acc[u][v];
    }
  }
}

// The same product for CPU devices (PoCL and the like), where local memory and barriers only cost:
// each work-item computes one column j of RB rows, reading A and B through the caches. Within a
// work-group the work-items take neighbouring columns (the device compiler turns them into vector
// lanes); along dimension 0 of the grid the groups walk down the row blocks of one column block, so
// consecutive groups reuse the same K × local-size panel of B from cache. Rows and columns past the
// edge are clamped (computed, never stored). Each C element is again one accumulator summed over p
// in order, so the result equals the tiled kernel's.
#define RB 8

__kernel void gemm_rows(int ta, int tb, int M, int N, int K,
                        __global const T* A, int aoff, int lda,
                        __global const T* B, int boff, int ldb,
                        __global T* C, int coff,
                        int brank, int8 bshape, int8 bsa, int8 bsb) {
  int j = get_group_id(1) * get_local_size(0) + get_local_id(0);
  int i0 = get_group_id(0) * RB;
  int bz = get_global_id(2);
  int sh[MAXR], sa[MAXR], sb[MAXR];
  vstore8(bshape, 0, sh);
  vstore8(bsa, 0, sa);
  vstore8(bsb, 0, sb);
  int oa = aoff, ob = boff, rem = bz;
  for (int d = brank - 1; d >= 0; d--) {
    int i = rem % sh[d];
    rem /= sh[d];
    oa += i * sa[d];
    ob += i * sb[d];
  }
  int jj = min(j, N - 1);
  int ar[RB];
  for (int r = 0; r < RB; r++) {
    int i = min(i0 + r, M - 1);
    ar[r] = ta ? oa + i : oa + i * lda;
  }
  int astep = ta ? lda : 1;
  int bidx = tb ? ob + jj * ldb : ob + jj;
  int bstep = tb ? 1 : ldb;
  T acc[RB];
  for (int r = 0; r < RB; r++) acc[r] = (T)0;
  for (int p = 0; p < K; p++) {
    T bv = B[bidx + p * bstep];
    for (int r = 0; r < RB; r++) acc[r] += A[ar[r] + p * astep] * bv;
  }
  if (j < N) {
    int oc = coff + bz * M * N;
    for (int r = 0; r < RB && i0 + r < M; r++) C[oc + (i0 + r) * N + j] = acc[r];
  }
}

// ------------------------------------------------------------------ indexing

// Shapes are split around the axis into (outer o, axis, inner i); x has length len along the axis,
// the index k2. out[p] = x[(o·len + index[p])·inner + i] for p = (o·k2 + j)·inner + i.
__kernel void gather(__global const T* x, int xoff, __global const int* index,
                     int len, int k2, int inner, __global T* out, int n) {
  int p = get_global_id(0);
  if (p >= n) return;
  int i = p % inner;
  int o = (p / inner) / k2;
  out[p] = x[xoff + (o * len + index[p]) * inner + i];
}

// The adjoint of gather without atomics: the host groups the source positions by destination
// (a counting sort, stable in p), so out[q] = Σ src[perm[s]] over s in [start[q], start[q+1]),
// added in increasing p — the order in which CpuBackend.scatterAdd adds them.
__kernel void scatter_add(__global const T* src, int soff, __global const int* start,
                          __global const int* perm, __global T* out, int n) {
  int q = get_global_id(0);
  if (q >= n) return;
  T acc = (T)0;
  int e = start[q + 1];
  for (int s = start[q]; s < e; s++) acc += src[soff + perm[s]];
  out[q] = acc;
}

// ------------------------------------------------------------------ convolution

// Columns [N, C·kh·kw, OH·OW] from contiguous x [N, C, H, W]; zero outside the input (padding).
__kernel void im2col(__global const T* x, int xoff, int C, int H, int W, int kh, int kw,
                     int stride, int pad, int OH, int OW, __global T* out, int n) {
  int q = get_global_id(0);
  if (q >= n) return;
  int cols = OH * OW, rows = C * kh * kw;
  int col = q % cols;
  int nr = q / cols;
  int row = nr % rows, b = nr / rows;
  int v = row % kw, u = (row / kw) % kh, ch = row / (kw * kh);
  int iy = (col / OW) * stride - pad + u, ix = (col % OW) * stride - pad + v;
  bool inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
  out[q] = inside ? x[xoff + ((b * C + ch) * H + iy) * W + ix] : (T)0;
}

// The adjoint: each input pixel sums the column entries that copied it, in kernel-offset order
// (u, v), which is the order of CpuBackend.col2im's accumulation.
__kernel void col2im(__global const T* cols, int coff, int C, int H, int W, int kh, int kw,
                     int stride, int pad, int OH, int OW, __global T* out, int n) {
  int q = get_global_id(0);
  if (q >= n) return;
  int ix = q % W;
  int iy = (q / W) % H;
  int ch = (q / (W * H)) % C;
  int b = q / (W * H * C);
  int ncols = OH * OW, rows = C * kh * kw;
  T acc = (T)0;
  for (int u = 0; u < kh; u++) {
    int ty = iy + pad - u;
    if (ty < 0 || ty % stride != 0) continue;
    int oy = ty / stride;
    if (oy >= OH) continue;
    for (int v = 0; v < kw; v++) {
      int tx = ix + pad - v;
      if (tx < 0 || tx % stride != 0) continue;
      int ox = tx / stride;
      if (ox >= OW) continue;
      int row = (ch * kh + u) * kw + v;
      acc += cols[coff + (b * rows + row) * ncols + oy * OW + ox];
    }
  }
  out[q] = acc;
}

// ------------------------------------------------------------------ optimizer updates (in place)

// One element per work-item; the same operations in the same order as the CPU kernels of the optim
// module (Sgd.step, Adam.step), so that with the same inputs the result is the same bit for bit.
// The constants arrive already rounded to T. Buffers are contiguous from their offsets.

// d = g (+ p·wd); v ← v·mu + d; d = nesterov ? d + v·mu : v; p ← p − d·lr.
__kernel void sgd_step(__global T* p, int poff, __global const T* g, int goff, __global T* v, int voff,
                       T lr, T mu, T wd, int decay, int momentum, int nesterov, int n) {
  int i = get_global_id(0);
  if (i >= n) return;
  T pi = p[poff + i];
  T d = g[goff + i];
  if (decay) d = d + pi * wd;
  if (momentum) {
    T vi = v[voff + i] * mu + d;
    v[voff + i] = vi;
    d = nesterov ? d + vi * mu : vi;
  }
  p[poff + i] = pi - d * lr;
}

// p ← p·decay (decoupled); d = g (+ p·wd); m ← m·b1 + d·c1; v ← v·b2 + d·d·c2;
// p ← p − m / (√v / bc2 + eps) · stepSize.
__kernel void adam_step(__global T* p, int poff, __global const T* g, int goff, __global T* m, int moff,
                        __global T* v, int voff, T b1, T c1, T b2, T c2, T eps, T wd, T decay,
                        T step_size, T bc2, int l2, int decoupled, int n) {
  int i = get_global_id(0);
  if (i >= n) return;
  T pi = p[poff + i];
  T d = g[goff + i];
  if (decoupled) pi = pi * decay;
  if (l2) d = d + pi * wd;
  T mi = m[moff + i] * b1 + d * c1;
  T vi = v[voff + i] * b2 + d * d * c2;
  m[moff + i] = mi;
  v[voff + i] = vi;
  T denom = sqrt(vi) / bc2 + eps;
  p[poff + i] = pi - mi / denom * step_size;
}
