/**
 * Transform matrices for the Hartley (DHT) and cosine (DCT) transforms, built in float64.
 *
 * Pure TypeScript, no tfjs: `transform.ts` turns these into float32 tensors, and the tests use the
 * slow `*Ref` functions at the bottom as ground truth.
 *
 * Every matrix is an N×N `Float64Array` in row-major order: entry (k, n) lives at index `k * N + n`.
 * Row index k is the output frequency, column index n the input position, so `y = M·x`.
 *
 * Scaling. All matrices are orthonormal-scaled (the DHT ones carry a factor 1/sqrt(N)). With that
 * scaling the 1-D Hartley matrix H = (C + S)/sqrt(N) is symmetric and its own inverse (H·H = I), the
 * 2-D Hartley transform is its own inverse, and the DCT-II matrix D is orthogonal (D⁻¹ = Dᵀ). Keeping
 * entries of size ~1/sqrt(N) also keeps float32 round-off small (see heracles.md, "The transforms,
 * exactly": scale does not matter to the layer, forward and inverse cancel).
 *
 * The matrices are cached per N; callers must not modify the returned arrays.
 */

type Builder = (k: number, n: number, N: number) => number;

/** Fills an N×N row-major matrix from an entry formula. */
function build(N: number, entry: Builder): Float64Array {
  if (!Number.isInteger(N) || N < 1) throw new Error(`Transform size must be a positive integer, got ${N}.`);
  const m = new Float64Array(N * N);
  for (let k = 0; k < N; k++) for (let n = 0; n < N; n++) m[k * N + n] = entry(k, n, N);
  return m;
}

/**
 * 2πkn/N, computed with the product kn reduced modulo N first. The angle is then < 2π, so cos/sin
 * are as accurate as for small arguments even when kn is large (e.g. N = 4096).
 */
function angle(k: number, n: number, N: number): number {
  return (2 * Math.PI * ((k * n) % N)) / N;
}

/** Returns a memoised builder: one matrix per N, computed on first use. */
function cached(entry: Builder): (N: number) => Float64Array {
  const cache = new Map<number, Float64Array>();
  return (N: number) => {
    let m = cache.get(N);
    if (!m) {
      m = build(N, entry);
      cache.set(N, m);
    }
    return m;
  };
}

/** C[k,n] = cos(2πkn/N) / sqrt(N). Symmetric. */
export const cosMatrix = cached((k, n, N) => Math.cos(angle(k, n, N)) / Math.sqrt(N));

/** S[k,n] = sin(2πkn/N) / sqrt(N). Symmetric. */
export const sinMatrix = cached((k, n, N) => Math.sin(angle(k, n, N)) / Math.sqrt(N));

/**
 * The 1-D DHT matrix, cas[k,n] = cas(2πkn/N) / sqrt(N) with cas θ = cos θ + sin θ (= C + S).
 * Symmetric and self-inverse: casMatrix(N)·casMatrix(N) = I.
 */
export const casMatrix = cached((k, n, N) => {
  const a = angle(k, n, N);
  return (Math.cos(a) + Math.sin(a)) / Math.sqrt(N);
});

/**
 * Orthonormal DCT-II: D[k,n] = s_k·cos(πk(2n+1)/(2N)), s_0 = sqrt(1/N), s_k = sqrt(2/N) for k > 0.
 * Orthogonal, so the inverse (the orthonormal DCT-III) is the transpose Dᵀ. Not symmetric.
 */
export const dctMatrix = cached((k, n, N) => {
  const s = k === 0 ? Math.sqrt(1 / N) : Math.sqrt(2 / N);
  // πk(2n+1)/(2N) = 2π·(k(2n+1))/(4N): reduce k(2n+1) modulo 4N for accuracy, as in angle().
  return s * Math.cos((2 * Math.PI * ((k * (2 * n + 1)) % (4 * N))) / (4 * N));
});

// ---------------------------------------------------------------------------------------------
// Slow float64 references for the tests. They evaluate the definitions directly (no separability
// tricks), so they are an independent check on the fast matrix-product code.
// Arrays are row-major: a 2-D signal x of size M×N has x[m, n] at index m * N + n.
// ---------------------------------------------------------------------------------------------

/** cas θ = cos θ + sin θ. */
function cas(theta: number): number {
  return Math.cos(theta) + Math.sin(theta);
}

/** 1-D DHT of a length-N signal: H[k] = Σ_n x[n]·cas(2πkn/N) / sqrt(N). */
export function dht1dRef(x: ArrayLike<number>, N: number): Float64Array {
  const out = new Float64Array(N);
  for (let k = 0; k < N; k++) {
    let acc = 0;
    for (let n = 0; n < N; n++) acc += x[n] * cas(angle(k, n, N));
    out[k] = acc / Math.sqrt(N);
  }
  return out;
}

/**
 * The TRUE 2-D DHT of an M×N signal, straight from the definition:
 * H[u,v] = Σ_{m,n} x[m,n]·cas(2π(um/M + vn/N)) / sqrt(MN).
 * (Not the separable cas_M·X·cas_N, which is a different transform; see heracles.md.)
 */
export function dht2dRef(x: ArrayLike<number>, M: number, N: number): Float64Array {
  const out = new Float64Array(M * N);
  const scale = 1 / Math.sqrt(M * N);
  for (let u = 0; u < M; u++) {
    for (let v = 0; v < N; v++) {
      let acc = 0;
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          acc += x[m * N + n] * cas(angle(u, m, M) + angle(v, n, N));
        }
      }
      out[u * N + v] = acc * scale;
    }
  }
  return out;
}

/**
 * Orthonormal 2-D DCT-II of an M×N signal, straight from the definition:
 * Y[u,v] = s_u·s_v·Σ_{m,n} x[m,n]·cos(πu(2m+1)/(2M))·cos(πv(2n+1)/(2N)).
 */
export function dct2dRef(x: ArrayLike<number>, M: number, N: number): Float64Array {
  const out = new Float64Array(M * N);
  const s = (k: number, L: number) => (k === 0 ? Math.sqrt(1 / L) : Math.sqrt(2 / L));
  for (let u = 0; u < M; u++) {
    for (let v = 0; v < N; v++) {
      let acc = 0;
      for (let m = 0; m < M; m++) {
        const cu = Math.cos((Math.PI * u * (2 * m + 1)) / (2 * M));
        for (let n = 0; n < N; n++) {
          acc += x[m * N + n] * cu * Math.cos((Math.PI * v * (2 * n + 1)) / (2 * N));
        }
      }
      out[u * N + v] = s(u, M) * s(v, N) * acc;
    }
  }
  return out;
}
