/**
 * Source (WebAssembly text, SIMD128) of the fused element-wise kernels in `fused-kernels.ts`. The module
 * imports the tfjs wasm backend's own memory, so it reads and writes tensors where they live.
 *
 * Every exported kernel takes byte offsets into that memory and an element count n ≥ 4. It runs four
 * lanes at a time; when n is not a multiple of 4 it finishes by redoing the last four elements, which is
 * safe because outputs never overlap inputs.
 *
 * - erf: the rational approximation Eigen and XLA use for float32 (odd degree-13 numerator over an even
 *   degree-8 denominator, input clamped to [−4, 4], where erf is ±1 in float32); ~1e-7 absolute error.
 * - exp: Cephes' expf (round to a power of two, degree-6 polynomial of the remainder, scale by 2ⁿ built
 *   in the exponent bits); inputs clamped to ±88.38, so exp(−x²/2) of a large x is 0, not NaN.
 * - gelu: y = x/2 · (1 + erf(x/√2)), PyTorch's exact GELU.
 * - gelu_grad: dx = dy · (½(1 + erf(x/√2)) + x · exp(−x²/2)/√(2π)).
 * - adam: one Adam/AdamW step of one weight tensor w with gradient g and moments m, s, into new w', m',
 *   s' (the same operations, in the same order, as the optimizer's composed update):
 *     g ← g + l2·w (Adam's L2; 0 otherwise)   m' = b1·m + a1·g   s' = b2·s + a2·g²   (a = 1 − b)
 *     w' = w − lr · (m'/c1) / (√(s'/c2) + eps) − decay·w   (c1 = 1 − b1ᵗ, c2 = 1 − b2ᵗ; decay = lr·wd for
 *     AdamW, else 0)
 * - layer_norm, layer_norm_dx, layer_norm_dgamma: LayerNorm over rows of c floats (c a multiple of 4),
 *   y = (x − μ) · r · γ + β with μ the row's mean and r = 1/√(var + eps) (two-pass variance, as
 *   tf.moments). The gradients recompute μ and r from x (a row is at most a few hundred floats, in cache):
 *   dx = r · (dy·γ − mean(dy·γ) − x̂ · mean(dy·γ·x̂)) with x̂ = (x − μ)·r, and dγ = Σ_rows dy·x̂.
 * - bmm: a batch of small products C[p] = A[p]·B[p] (A [batch, m, k], B [batch, k, n], n a multiple
 *   of 4), row by row: C[p,i,:] = Σ_k A[p,i,k]·B[p,k,:] (attention's per-head products, which wasm
 *   runs in a scalar loop).
 * - dw_dfilter: the filter gradient of a stride-1, undilated depthwise conv (multiplier 1, c a multiple
 *   of 4): dF[i,j,:] = Σ_{b,oh,ow} x[b, oh+i−pt, ow+j−pl, :]·dy[b,oh,ow,:], taps outside x skipped. The
 *   kh·kw·c sums stay in cache while x and dy are read once, in order.
 */
/** A v128 of four copies of c. */
const k4 = (c: number | string) => `(v128.const f32x4 ${c} ${c} ${c} ${c})`;

/**
 * erf of the v128 expression `v`, inline (wasm function calls per four lanes cost as much as the maths);
 * uses the locals declared by erfLocals(u).
 */
const erf = (v: string, u = '') => `(block (result v128)
      (local.set $ex${u} (f32x4.pmax (f32x4.pmin ${v} ${k4(4)}) ${k4(-4)}))
      (local.set $ex2${u} (f32x4.mul (local.get $ex${u}) (local.get $ex${u})))
      (local.set $ep${u} (f32x4.add (f32x4.mul (local.get $ex2${u}) ${k4('-2.72614225801306e-10')}) ${k4('2.77068142495902e-08')}))
      (local.set $ep${u} (f32x4.add (f32x4.mul (local.get $ex2${u}) (local.get $ep${u})) ${k4('-2.10102402082508e-06')}))
      (local.set $ep${u} (f32x4.add (f32x4.mul (local.get $ex2${u}) (local.get $ep${u})) ${k4('-5.69250639462346e-05')}))
      (local.set $ep${u} (f32x4.add (f32x4.mul (local.get $ex2${u}) (local.get $ep${u})) ${k4('-7.34990630326855e-04')}))
      (local.set $ep${u} (f32x4.add (f32x4.mul (local.get $ex2${u}) (local.get $ep${u})) ${k4('-2.95459980854025e-03')}))
      (local.set $ep${u} (f32x4.add (f32x4.mul (local.get $ex2${u}) (local.get $ep${u})) ${k4('-1.60960333262415e-02')}))
      (local.set $ep${u} (f32x4.mul (local.get $ex${u}) (local.get $ep${u})))
      (local.set $eq${u} (f32x4.add (f32x4.mul (local.get $ex2${u}) ${k4('-1.45660718464996e-05')}) ${k4('-2.13374055278905e-04')}))
      (local.set $eq${u} (f32x4.add (f32x4.mul (local.get $ex2${u}) (local.get $eq${u})) ${k4('-1.68282697438203e-03')}))
      (local.set $eq${u} (f32x4.add (f32x4.mul (local.get $ex2${u}) (local.get $eq${u})) ${k4('-7.37332916720468e-03')}))
      (local.set $eq${u} (f32x4.add (f32x4.mul (local.get $ex2${u}) (local.get $eq${u})) ${k4('-1.42647390514189e-02')}))
      (f32x4.div (local.get $ep${u}) (local.get $eq${u})))`;
const erfLocals = (u = '') =>
  `(local $ex${u} v128) (local $ex2${u} v128) (local $ep${u} v128) (local $eq${u} v128)`;

/** exp of the v128 expression `v`, inline; uses the locals declared by expLocals(u). */
const exp = (v: string, u = '') => `(block (result v128)
      (local.set $yx${u} (f32x4.pmax (f32x4.pmin ${v} ${k4('88.3762626647949')}) ${k4('-88.3762626647949')}))
      (local.set $yn${u} (f32x4.floor (f32x4.add (f32x4.mul (local.get $yx${u}) ${k4('1.44269504088896341')}) ${k4(0.5)})))
      (local.set $yx${u} (f32x4.sub (f32x4.sub (local.get $yx${u}) (f32x4.mul (local.get $yn${u}) ${k4(0.693359375)}))
                                (f32x4.mul (local.get $yn${u}) ${k4('-2.12194440e-4')})))
      (local.set $yz${u} (f32x4.mul (local.get $yx${u}) (local.get $yx${u})))
      (local.set $yy${u} (f32x4.add (f32x4.mul (local.get $yx${u}) ${k4('1.9875691500e-4')}) ${k4('1.3981999507e-3')}))
      (local.set $yy${u} (f32x4.add (f32x4.mul (local.get $yy${u}) (local.get $yx${u})) ${k4('8.3334519073e-3')}))
      (local.set $yy${u} (f32x4.add (f32x4.mul (local.get $yy${u}) (local.get $yx${u})) ${k4('4.1665795894e-2')}))
      (local.set $yy${u} (f32x4.add (f32x4.mul (local.get $yy${u}) (local.get $yx${u})) ${k4('1.6666665459e-1')}))
      (local.set $yy${u} (f32x4.add (f32x4.mul (local.get $yy${u}) (local.get $yx${u})) ${k4('5.0000001201e-1')}))
      (local.set $yy${u} (f32x4.add (f32x4.add (f32x4.mul (local.get $yy${u}) (local.get $yz${u})) (local.get $yx${u})) ${k4(1)}))
      ;; 2ⁿ: n + 127 in the exponent bits (n ≥ −127 after the clamp; −127 gives 0)
      (f32x4.mul (local.get $yy${u})
                 (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $yn${u})) (i32x4.splat (i32.const 127)))
                            (i32.const 23))))`;
const expLocals = (u = '') =>
  `(local $yx${u} v128) (local $yn${u} v128) (local $yz${u} v128) (local $yy${u} v128)`;

/** GELU of the v128 in local $v{u}. */
const gelu4 = (u: string) => `(f32x4.mul (f32x4.mul (local.get $v${u}) ${k4(0.5)})
                   (f32x4.add ${k4(1)} ${erf(`(f32x4.mul (local.get $v${u}) ${k4('0.7071067811865476')})`, u)}))`;

/** dy·GELU'(x) for the v128s in locals $d{u} (dy) and $v{u} (x). */
const geluGrad4 = (u: string) => `(f32x4.mul (local.get $d${u})
      (f32x4.add
        (f32x4.mul ${k4(0.5)} (f32x4.add ${k4(1)} ${erf(`(f32x4.mul (local.get $v${u}) ${k4('0.7071067811865476')})`, u)}))
        (f32x4.mul (f32x4.mul (local.get $v${u}) ${k4('0.3989422804014327')})
                   ${exp(`(f32x4.mul (f32x4.mul (local.get $v${u}) (local.get $v${u})) ${k4(-0.5)})`, u)})))`;

/** Independent lane groups per loop turn: the polynomials are chains of dependent steps, so four
 * groups in flight keep the SIMD units busy (a single chain runs at its latency, ~4× slower). */
const GROUPS = ['0', '1', '2', '3'];

/**
 * An element-wise loop over n floats (n ≥ 4): `wide(o)` handles the 16 bytes at byte offset $i + o for
 * each lane group at once (four groups per turn), `one` the 16 bytes at $i, for what is left and for the
 * last four floats once more when n is not a multiple of 4.
 */
const lanes = (wide: (offset: number, u: string) => string, one: string) => `
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2)))
    (block $done_wide
      (loop $next_wide
        (br_if $done_wide (i32.ge_u (local.get $i) (local.get $end)))
        ${GROUPS.map((u, g) => wide(16 * g, u)).join('\n        ')}
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $next_wide)))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        ${one}
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))
    (if (i32.and (local.get $n) (i32.const 3))
      (then
        (local.set $i (i32.sub (i32.shl (local.get $n) (i32.const 2)) (i32.const 16)))
        ${one}))`;

/** Loads, for lane group u, x (and dy) at byte offset $i + o into $v{u} (and $d{u}). */
const load = (o: number, u: string, dy = false) =>
  `(local.set $v${u} (v128.load offset=${o} (i32.add (local.get $x) (local.get $i))))` +
  (dy ? `\n        (local.set $d${u} (v128.load offset=${o} (i32.add (local.get $dy) (local.get $i))))` : '');

const GELU_EXPORTS = `
  (func (export "gelu") (param $x i32) (param $y i32) (param $n i32)
    (local $i i32) (local $end i32)
    ${GROUPS.map((u) => `(local $v${u} v128) ${erfLocals(u)}`).join(' ')}
    ${lanes(
      (o, u) => `${load(o, u)}
        (v128.store offset=${o} (i32.add (local.get $y) (local.get $i)) ${gelu4(u)})`,
      `${load(0, '0')}
        (v128.store (i32.add (local.get $y) (local.get $i)) ${gelu4('0')})`,
    )})

  (func (export "gelu_grad") (param $dy i32) (param $x i32) (param $dx i32) (param $n i32)
    (local $i i32) (local $end i32)
    ${GROUPS.map((u) => `(local $v${u} v128) (local $d${u} v128) ${erfLocals(u)} ${expLocals(u)}`).join(' ')}
    ${lanes(
      (o, u) => `${load(o, u, true)}
        (v128.store offset=${o} (i32.add (local.get $dx) (local.get $i)) ${geluGrad4(u)})`,
      `${load(0, '0', true)}
        (v128.store (i32.add (local.get $dx) (local.get $i)) ${geluGrad4('0')})`,
    )})
`;

export const FUSED_WAT = `
(module
  (import "env" "memory" (memory 1))

  (global $mean (mut f32) (f32.const 0))
  (global $rstd (mut f32) (f32.const 0))

  (func $hsum (param $v v128) (result f32)
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
             (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; $mean and $rstd = 1/√(var + eps) of the c floats at $x
  (func $stats (param $x i32) (param $c i32) (param $eps f32)
    (local $j i32) (local $end i32) (local $acc v128) (local $d v128) (local $m v128)
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (block $b1
      (loop $l1
        (br_if $b1 (i32.ge_u (local.get $j) (local.get $end)))
        (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $x) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $l1)))
    (global.set $mean (f32.div (call $hsum (local.get $acc)) (f32.convert_i32_u (local.get $c))))
    (local.set $m (f32x4.splat (global.get $mean)))
    (local.set $acc (v128.const i32x4 0 0 0 0))
    (local.set $j (i32.const 0))
    (block $b2
      (loop $l2
        (br_if $b2 (i32.ge_u (local.get $j) (local.get $end)))
        (local.set $d (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j))) (local.get $m)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $l2)))
    (global.set $rstd
      (f32.div (f32.const 1)
               (f32.sqrt (f32.add (f32.div (call $hsum (local.get $acc)) (f32.convert_i32_u (local.get $c)))
                                  (local.get $eps))))))

  (func (export "layer_norm")
        (param $x i32) (param $g i32) (param $b i32) (param $y i32) (param $rows i32) (param $c i32)
        (param $eps f32)
    (local $r i32) (local $j i32) (local $end i32) (local $row i32) (local $m v128) (local $s v128)
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (block $done
      (loop $next_row
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $row (i32.mul (local.get $r) (local.get $end)))
        (call $stats (i32.add (local.get $x) (local.get $row)) (local.get $c) (local.get $eps))
        (local.set $m (f32x4.splat (global.get $mean)))
        (local.set $s (f32x4.splat (global.get $rstd)))
        (local.set $j (i32.const 0))
        (block $b
          (loop $l
            (br_if $b (i32.ge_u (local.get $j) (local.get $end)))
            (v128.store (i32.add (local.get $y) (i32.add (local.get $row) (local.get $j)))
              (f32x4.add
                (f32x4.mul
                  (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (i32.add (local.get $row) (local.get $j))))
                                        (local.get $m))
                             (local.get $s))
                  (v128.load (i32.add (local.get $g) (local.get $j))))
                (v128.load (i32.add (local.get $b) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $l)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next_row))))

  (func (export "layer_norm_dx")
        (param $dy i32) (param $x i32) (param $g i32) (param $dx i32) (param $rows i32) (param $c i32)
        (param $eps f32)
    (local $r i32) (local $j i32) (local $end i32) (local $row i32) (local $m v128) (local $s v128)
    (local $dyg v128) (local $xh v128) (local $a1 v128) (local $a2 v128) (local $inv f32)
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (local.set $inv (f32.div (f32.const 1) (f32.convert_i32_u (local.get $c))))
    (block $done
      (loop $next_row
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $row (i32.mul (local.get $r) (local.get $end)))
        (call $stats (i32.add (local.get $x) (local.get $row)) (local.get $c) (local.get $eps))
        (local.set $m (f32x4.splat (global.get $mean)))
        (local.set $s (f32x4.splat (global.get $rstd)))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $b
          (loop $l
            (br_if $b (i32.ge_u (local.get $j) (local.get $end)))
            (local.set $dyg (f32x4.mul (v128.load (i32.add (local.get $dy) (i32.add (local.get $row) (local.get $j))))
                                       (v128.load (i32.add (local.get $g) (local.get $j)))))
            (local.set $xh (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (i32.add (local.get $row) (local.get $j))))
                                                 (local.get $m))
                                      (local.get $s)))
            (local.set $a1 (f32x4.add (local.get $a1) (local.get $dyg)))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $dyg) (local.get $xh))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $l)))
        (local.set $a1 (f32x4.splat (f32.mul (call $hsum (local.get $a1)) (local.get $inv))))
        (local.set $a2 (f32x4.splat (f32.mul (call $hsum (local.get $a2)) (local.get $inv))))
        (local.set $j (i32.const 0))
        (block $b2
          (loop $l2
            (br_if $b2 (i32.ge_u (local.get $j) (local.get $end)))
            (local.set $dyg (f32x4.mul (v128.load (i32.add (local.get $dy) (i32.add (local.get $row) (local.get $j))))
                                       (v128.load (i32.add (local.get $g) (local.get $j)))))
            (local.set $xh (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (i32.add (local.get $row) (local.get $j))))
                                                 (local.get $m))
                                      (local.get $s)))
            (v128.store (i32.add (local.get $dx) (i32.add (local.get $row) (local.get $j)))
              (f32x4.mul (local.get $s)
                         (f32x4.sub (f32x4.sub (local.get $dyg) (local.get $a1))
                                    (f32x4.mul (local.get $xh) (local.get $a2)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $l2)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next_row))))

  (func (export "layer_norm_dgamma")
        (param $dy i32) (param $x i32) (param $dg i32) (param $rows i32) (param $c i32) (param $eps f32)
    (local $r i32) (local $j i32) (local $end i32) (local $row i32) (local $m v128) (local $s v128)
    (local.set $end (i32.shl (local.get $c) (i32.const 2)))
    (block $z
      (loop $lz
        (br_if $z (i32.ge_u (local.get $j) (local.get $end)))
        (v128.store (i32.add (local.get $dg) (local.get $j)) (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $lz)))
    (block $done
      (loop $next_row
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $row (i32.mul (local.get $r) (local.get $end)))
        (call $stats (i32.add (local.get $x) (local.get $row)) (local.get $c) (local.get $eps))
        (local.set $m (f32x4.splat (global.get $mean)))
        (local.set $s (f32x4.splat (global.get $rstd)))
        (local.set $j (i32.const 0))
        (block $b
          (loop $l
            (br_if $b (i32.ge_u (local.get $j) (local.get $end)))
            (v128.store (i32.add (local.get $dg) (local.get $j))
              (f32x4.add (v128.load (i32.add (local.get $dg) (local.get $j)))
                         (f32x4.mul (v128.load (i32.add (local.get $dy) (i32.add (local.get $row) (local.get $j))))
                                    (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (i32.add (local.get $row) (local.get $j))))
                                                          (local.get $m))
                                               (local.get $s)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $l)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next_row))))

  (func (export "bmm")
        (param $a i32) (param $b i32) (param $c i32) (param $batch i32) (param $m i32) (param $k i32)
        (param $n i32)
    (local $p i32) (local $i i32) (local $kk i32) (local $j i32) (local $row i32) (local $nb i32)
    (local $arow i32) (local $bmat i32) (local $brow i32) (local $av v128)
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (block $done_p
      (loop $next_p
        (br_if $done_p (i32.ge_u (local.get $p) (local.get $batch)))
        (local.set $bmat (i32.add (local.get $b)
                                  (i32.mul (i32.mul (local.get $p) (local.get $k)) (local.get $nb))))
        (local.set $i (i32.const 0))
        (block $done_i
          (loop $next_i
            (br_if $done_i (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $row (i32.add (local.get $c)
                                     (i32.mul (i32.add (i32.mul (local.get $p) (local.get $m)) (local.get $i))
                                              (local.get $nb))))
            (local.set $arow (i32.add (local.get $a)
                                      (i32.shl (i32.mul (i32.add (i32.mul (local.get $p) (local.get $m)) (local.get $i))
                                                        (local.get $k))
                                               (i32.const 2))))
            (local.set $j (i32.const 0))
            (block $z
              (loop $lz
                (br_if $z (i32.ge_u (local.get $j) (local.get $nb)))
                (v128.store (i32.add (local.get $row) (local.get $j)) (v128.const i32x4 0 0 0 0))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $lz)))
            (local.set $kk (i32.const 0))
            (block $done_k
              (loop $next_k
                (br_if $done_k (i32.ge_u (local.get $kk) (local.get $k)))
                (local.set $av (f32x4.splat (f32.load (i32.add (local.get $arow) (i32.shl (local.get $kk) (i32.const 2))))))
                (local.set $brow (i32.add (local.get $bmat) (i32.mul (local.get $kk) (local.get $nb))))
                (local.set $j (i32.const 0))
                (block $done_j
                  (loop $next_j
                    (br_if $done_j (i32.ge_u (local.get $j) (local.get $nb)))
                    (v128.store (i32.add (local.get $row) (local.get $j))
                      (f32x4.add (v128.load (i32.add (local.get $row) (local.get $j)))
                                 (f32x4.mul (local.get $av) (v128.load (i32.add (local.get $brow) (local.get $j))))))
                    (local.set $j (i32.add (local.get $j) (i32.const 16)))
                    (br $next_j)))
                (local.set $kk (i32.add (local.get $kk) (i32.const 1)))
                (br $next_k)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next_i)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next_p))))

  (func (export "dw_dfilter")
        (param $x i32) (param $dy i32) (param $df i32) (param $batch i32) (param $h i32) (param $w i32)
        (param $c i32) (param $kh i32) (param $kw i32) (param $pt i32) (param $pl i32) (param $oh i32)
        (param $ow i32)
    (local $b i32) (local $y i32) (local $x0 i32) (local $i i32) (local $j i32) (local $iy i32) (local $ix i32)
    (local $cb i32) (local $q i32) (local $dyp i32) (local $xp i32) (local $fp i32) (local $end i32)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    ;; zero the kh·kw·c sums
    (local.set $end (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $cb)))
    (block $z
      (loop $lz
        (br_if $z (i32.ge_u (local.get $q) (local.get $end)))
        (v128.store (i32.add (local.get $df) (local.get $q)) (v128.const i32x4 0 0 0 0))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $lz)))
    (local.set $dyp (local.get $dy))
    (block $done_b
      (loop $next_b
        (br_if $done_b (i32.ge_u (local.get $b) (local.get $batch)))
        (local.set $y (i32.const 0))
        (block $done_y
          (loop $next_y
            (br_if $done_y (i32.ge_u (local.get $y) (local.get $oh)))
            (local.set $x0 (i32.const 0))
            (block $done_x
              (loop $next_x
                (br_if $done_x (i32.ge_u (local.get $x0) (local.get $ow)))
                ;; dy[b, y, x0, :] is at $dyp; every tap adds x[b, y+i−pt, x0+j−pl, :]·dy into dF[i, j, :]
                (local.set $i (i32.const 0))
                (block $done_i
                  (loop $next_i
                    (br_if $done_i (i32.ge_u (local.get $i) (local.get $kh)))
                    (local.set $iy (i32.sub (i32.add (local.get $y) (local.get $i)) (local.get $pt)))
                    (if (i32.lt_u (local.get $iy) (local.get $h))
                      (then
                        (local.set $j (i32.const 0))
                        (block $done_j
                          (loop $next_j
                            (br_if $done_j (i32.ge_u (local.get $j) (local.get $kw)))
                            (local.set $ix (i32.sub (i32.add (local.get $x0) (local.get $j)) (local.get $pl)))
                            (if (i32.lt_u (local.get $ix) (local.get $w))
                              (then
                                (local.set $xp
                                  (i32.add (local.get $x)
                                    (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy))
                                                               (local.get $w))
                                                      (local.get $ix))
                                             (local.get $cb))))
                                (local.set $fp
                                  (i32.add (local.get $df)
                                    (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $cb))))
                                (local.set $q (i32.const 0))
                                (block $done_q
                                  (loop $next_q
                                    (br_if $done_q (i32.ge_u (local.get $q) (local.get $cb)))
                                    (v128.store (i32.add (local.get $fp) (local.get $q))
                                      (f32x4.add (v128.load (i32.add (local.get $fp) (local.get $q)))
                                                 (f32x4.mul (v128.load (i32.add (local.get $xp) (local.get $q)))
                                                            (v128.load (i32.add (local.get $dyp) (local.get $q))))))
                                    (local.set $q (i32.add (local.get $q) (i32.const 16)))
                                    (br $next_q)))))
                            (local.set $j (i32.add (local.get $j) (i32.const 1)))
                            (br $next_j)))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $next_i)))
                (local.set $dyp (i32.add (local.get $dyp) (local.get $cb)))
                (local.set $x0 (i32.add (local.get $x0) (i32.const 1)))
                (br $next_x)))
            (local.set $y (i32.add (local.get $y) (i32.const 1)))
            (br $next_y)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $next_b))))

  (func (export "adam")
        (param $w i32) (param $g i32) (param $m i32) (param $s i32)
        (param $w2 i32) (param $m2 i32) (param $s2 i32) (param $n i32)
        (param $b1 f32) (param $a1 f32) (param $b2 f32) (param $a2 f32) (param $c1 f32) (param $c2 f32) (param $eps f32) (param $lr f32)
        (param $decay f32) (param $l2 f32)
    (local $i i32) (local $end i32) (local $last i32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $last (i32.sub (i32.shl (local.get $n) (i32.const 2)) (i32.const 16)))
    (block $done
      (loop $next
        (if (i32.ge_u (local.get $i) (local.get $end))
          (then
            ;; the tail: the last four elements once more, then stop
            (br_if $done (i32.eqz (i32.and (local.get $n) (i32.const 3))))
            (br_if $done (i32.eq (local.get $i) (i32.add (local.get $last) (i32.const 16))))
            (local.set $i (local.get $last))))
        (call $adam4 (i32.add (local.get $w) (local.get $i)) (i32.add (local.get $g) (local.get $i))
                     (i32.add (local.get $m) (local.get $i)) (i32.add (local.get $s) (local.get $i))
                     (i32.add (local.get $w2) (local.get $i)) (i32.add (local.get $m2) (local.get $i))
                     (i32.add (local.get $s2) (local.get $i))
                     (local.get $b1) (local.get $a1) (local.get $b2) (local.get $a2) (local.get $c1) (local.get $c2) (local.get $eps)
                     (local.get $lr) (local.get $decay) (local.get $l2))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))

  (func $adam4
        (param $w i32) (param $g i32) (param $m i32) (param $s i32)
        (param $w2 i32) (param $m2 i32) (param $s2 i32)
        (param $b1 f32) (param $a1 f32) (param $b2 f32) (param $a2 f32) (param $c1 f32) (param $c2 f32) (param $eps f32) (param $lr f32)
        (param $decay f32) (param $l2 f32)
    (local $wv v128) (local $gv v128) (local $mv v128) (local $sv v128) (local $step v128)
    (local.set $wv (v128.load (local.get $w)))
    (local.set $gv (f32x4.add (v128.load (local.get $g)) (f32x4.mul (local.get $wv) (f32x4.splat (local.get $l2)))))
    (local.set $mv (f32x4.add (f32x4.mul (v128.load (local.get $m)) (f32x4.splat (local.get $b1)))
                              (f32x4.mul (local.get $gv) (f32x4.splat (local.get $a1)))))
    (local.set $sv (f32x4.add (f32x4.mul (v128.load (local.get $s)) (f32x4.splat (local.get $b2)))
                              (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv))
                                         (f32x4.splat (local.get $a2)))))
    (v128.store (local.get $m2) (local.get $mv))
    (v128.store (local.get $s2) (local.get $sv))
    (local.set $step
      (f32x4.div (f32x4.div (local.get $mv) (f32x4.splat (local.get $c1)))
                 (f32x4.add (f32x4.sqrt (f32x4.div (local.get $sv) (f32x4.splat (local.get $c2))))
                            (f32x4.splat (local.get $eps)))))
    (v128.store (local.get $w2)
      (f32x4.sub (f32x4.sub (local.get $wv) (f32x4.mul (local.get $step) (f32x4.splat (local.get $lr))))
                 (f32x4.mul (local.get $wv) (f32x4.splat (local.get $decay))))))

${GELU_EXPORTS}
)
`;
