/**
 * Source (WebAssembly text, SIMD128) of the matrix product kernels driven by `gemm.ts` (ADR 0008). They
 * are part of the fused-kernel module (`fused-wat.ts`), on the wasm backend's own memory.
 *
 * - pack_b: copies B (element (k, n) at b + k·sbk + n·sbn bytes, so a transposed B is only other strides)
 *   into panels of 8 columns, panel p = [k][8] floats, zero beyond n. Rows of 8 contiguous floats are
 *   copied as two v128s; anything else (a transposed B, the last, partial panel) float by float.
 * - gemm: C = A·B (+ C when acc, + bias on every row when bias ≠ 0) for A element (i, k) at a + i·sai +
 *   k·sak, B packed (panel p at pb + p·ps), C element (i, j) at c + i·sci + j·scj. Rows go four at a
 *   time through a 4×8 register tile (8 accumulators, 2 B vectors, 1 broadcast: 11 of the 16 vector
 *   registers V8 has on x64), then one at a time. A tile loads B's 8 floats of row k once and broadcasts
 *   A(i, k) of its four rows. Stores of full, contiguous tiles are two v128s a row; a partial panel or a
 *   strided C (a transposed result) is stored float by float.
 *
 * - gemm_batched: gemm for each of `batches` products, A, B and C each `sab`, `sbb`, `scb` bytes after the
 *   last (0: shared); B is packed once when shared, else per product. One call for the many small
 *   products of attention's heads (a JS loop costs a few µs a product, more than a 4×32 product's work).
 *
 * With `fma` the multiply-adds are `f32x4.relaxed_madd` (relaxed SIMD), which V8 compiles to a fused
 * multiply-add where the CPU has one (and to a multiply and an add elsewhere); without it, f32x4.mul
 * then f32x4.add. The fused form rounds once instead of twice, so results differ in the last bits.
 */

import { ZERO, forUp, get, sum } from './wat';

/** The 4-lane multiply-add acc += x·y, written back to local `acc`. */
const madd = (fma: boolean, acc: string, x: string, y: string) =>
  fma
    ? `(local.set ${acc} (f32x4.relaxed_madd ${x} ${y} (local.get ${acc})))`
    : `(local.set ${acc} (f32x4.add (local.get ${acc}) (f32x4.mul ${x} ${y})))`;

const range = (n: number) => [...Array(n).keys()];

/** Stores row r of a tile at $q: C (+ old C when $acc) (+ bias when $bp ≠ 0). */
const storeRow = (r: number) => `
    (if (i32.and (i32.eq (local.get $nr) (i32.const 8)) (i32.eq (local.get $scj) (i32.const 4)))
      (then
        ${range(2)
          .map(
            (h) => `(local.set $v (local.get $c${r}${h}))
        (if (local.get $acc) (then (local.set $v (f32x4.add (local.get $v) (v128.load offset=${16 * h} (local.get $q))))))
        (if (local.get $bp) (then (local.set $v (f32x4.add (local.get $v) (v128.load offset=${16 * h} (local.get $bp))))))
        (v128.store offset=${16 * h} (local.get $q) (local.get $v))`,
          )
          .join('\n        ')})
      (else
        (local.set $qa (local.get $q))
        ${range(8)
          .map(
            (l) => `(if (i32.gt_u (local.get $nr) (i32.const ${l}))
          (then
            (local.set $f (f32x4.extract_lane ${l & 3} (local.get $c${r}${l >> 2})))
            (if (local.get $acc) (then (local.set $f (f32.add (local.get $f) (f32.load (local.get $qa))))))
            (if (local.get $bp) (then (local.set $f (f32.add (local.get $f) (f32.load offset=${4 * l} (local.get $bp))))))
            (f32.store (local.get $qa) (local.get $f))
            (local.set $qa (i32.add (local.get $qa) (local.get $scj)))))`,
          )
          .join('\n        ')}))
    (local.set $q (i32.add (local.get $q) (local.get $sci)))`;

/** The locals the tiles use. */
const TILE_LOCALS = `(local $b0 v128) (local $b1 v128) (local $s v128) (local $v v128) (local $f f32) (local $qa i32)
    (local $pa i32) (local $pb i32) (local $q i32) (local $nr i32) (local $kk i32) (local $bp i32)
    ${range(4)
      .map((r) => `(local $c${r}0 v128) (local $c${r}1 v128) (local $p${r} i32)`)
      .join(' ')}`;

/**
 * A register tile of `mr` rows × 8 columns over $k steps (k ≥ 1): A from $pa, packed B from $pb, C at $q
 * with $nr valid columns, bias at $bp (0: none). Inline in the loops (a call per tile costs as much as a
 * short tile's work).
 */
const tile = (mr: number, fma: boolean) => `
          ${range(mr)
            .map((r) => `(local.set $c${r}0 ${ZERO}) (local.set $c${r}1 ${ZERO})`)
            .join(' ')}
          (local.set $p0 (local.get $pa))
          ${range(mr)
            .slice(1)
            .map((r) => `(local.set $p${r} (i32.add (local.get $p${r - 1}) (local.get $sai)))`)
            .join(' ')}
          (local.set $kk (local.get $k))
          (loop $steps${mr}
            (local.set $b0 (v128.load (local.get $pb)))
            (local.set $b1 (v128.load offset=16 (local.get $pb)))
            ${range(mr)
              .map(
                (r) => `(local.set $s (v128.load32_splat (local.get $p${r})))
            ${madd(fma, `$c${r}0`, '(local.get $s)', '(local.get $b0)')}
            ${madd(fma, `$c${r}1`, '(local.get $s)', '(local.get $b1)')}
            (local.set $p${r} (i32.add (local.get $p${r}) (local.get $sak)))`,
              )
              .join('\n            ')}
            (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
            (br_if $steps${mr} (local.tee $kk (i32.sub (local.get $kk) (i32.const 1)))))
          ${range(mr).map(storeRow).join('')}`;

/** The tile of `mr` rows from row $i for every panel. */
const panels = (mr: number, fma: boolean) => `
        (local.set $p (i32.const 0))
        (loop $cols${mr}
          (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $sai))))
          (local.set $pb (i32.add (local.get $pb0) (i32.mul (local.get $p) (local.get $ps))))
          (local.set $q (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $sci)))
                                 (i32.mul (i32.shl (local.get $p) (i32.const 3)) (local.get $scj))))
          (local.set $nr (i32.sub (local.get $n) (i32.shl (local.get $p) (i32.const 3))))
          (local.set $bp (select (i32.add (local.get $bias) (i32.shl (local.get $p) (i32.const 5))) (i32.const 0) (local.get $bias)))
          ${tile(mr, fma)}
          (br_if $cols${mr} (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $np))))`;

const PACK_B = `
  (func $pack_b (export "pack_b") (param $b i32) (param $sbk i32) (param $sbn i32) (param $dst i32) (param $k i32) (param $n i32)
    (local $p i32) (local $np i32) (local $nr i32) (local $src i32) (local $kk i32)
    (local.set $np (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3)))
    (loop $panels
      (local.set $nr (i32.sub (local.get $n) (i32.shl (local.get $p) (i32.const 3))))
      (local.set $src (i32.add (local.get $b) (i32.mul (i32.shl (local.get $p) (i32.const 3)) (local.get $sbn))))
      (local.set $kk (local.get $k))
      (if (i32.and (i32.ge_s (local.get $nr) (i32.const 8)) (i32.eq (local.get $sbn) (i32.const 4)))
        (then
          (loop $rows
            (v128.store (local.get $dst) (v128.load (local.get $src)))
            (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))
            (local.set $src (i32.add (local.get $src) (local.get $sbk)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (br_if $rows (local.tee $kk (i32.sub (local.get $kk) (i32.const 1))))))
        (else
          (loop $rows1
            ${range(8)
              .map(
                (l) => `(f32.store offset=${4 * l} (local.get $dst)
              (if (result f32) (i32.gt_s (local.get $nr) (i32.const ${l}))
                (then (f32.load (i32.add (local.get $src) (i32.mul (local.get $sbn) (i32.const ${l})))))
                (else (f32.const 0))))`,
              )
              .join('\n            ')}
            (local.set $src (i32.add (local.get $src) (local.get $sbk)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (br_if $rows1 (local.tee $kk (i32.sub (local.get $kk) (i32.const 1)))))))
      (br_if $panels (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $np)))))`;

const PATCH_PARAMS = `(param $x i32) (param $cols i32) (param $b i32) (param $h i32) (param $w i32) (param $c i32)
      (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $dh i32) (param $dw i32)
      (param $pt i32) (param $pl i32) (param $oh i32) (param $ow i32)
    (local $n i32) (local $oy i32) (local $ox i32) (local $i i32) (local $j i32) (local $iy i32) (local $ix i32)
    (local $src i32) (local $q i32) (local $cb i32) (local $c4 i32)`;

/**
 * The loops over a conv's patches: for each output pixel (n, oy, ox) and tap (i, j), `inside` with $src
 * at x[n, iy, ix, 0] and $cols at the patch row's (i, j) slot when the tap lands in x, else `outside`.
 */
const overPatches = (inside: string, outside: string) => `
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $c4 (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    ${forUp(
      'n',
      get('b'),
      1,
      forUp(
        'oy',
        get('oh'),
        1,
        forUp(
          'ox',
          get('ow'),
          1,
          forUp(
            'i',
            get('kh'),
            1,
            `(local.set $iy (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $sh)) (i32.mul (local.get $i) (local.get $dh))) (local.get $pt)))
            ${forUp(
              'j',
              get('kw'),
              1,
              `(local.set $ix (i32.sub (i32.add (i32.mul (local.get $ox) (local.get $sw)) (i32.mul (local.get $j) (local.get $dw))) (local.get $pl)))
              (if (i32.and (i32.lt_u (local.get $iy) (local.get $h)) (i32.lt_u (local.get $ix) (local.get $w)))
                (then
                  (local.set $src (i32.add (local.get $x)
                    (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix))
                             (local.get $cb))))
                  ${inside})
                (else ${outside}))
              (local.set $cols (i32.add (local.get $cols) (local.get $cb)))`,
            )}`,
          ),
        ),
      ),
    )}`;

/** `vec(at)` for each 16 bytes of a pixel's c floats, then `one(at)` for each float left. */
const overChannels = (vec: (at: string) => string, one: (at: string) => string) => `
                  ${forUp('q', get('c4'), 16, vec(get('q')))}
                  (block $tail_done
                    (loop $tail_next
                      (br_if $tail_done (i32.ge_u (local.get $q) (local.get $cb)))
                      ${one(get('q'))}
                      (local.set $q (i32.add (local.get $q) (i32.const 4)))
                      (br $tail_next)))`;

/**
 * - im2col: a conv's input x [b, h, w, c] as its patch matrix [b·oh·ow, kh·kw·c] (row (n, oy, ox), column
 *   (i, j, ch) = x[n, oy·sh + i·dh − pt, ox·sw + j·dw − pl, ch], 0 outside x), so a conv is one GEMM
 *   with the filter [kh·kw·c, co].
 * - col2im: the reverse: dx = 0, then each patch value is added where it came from (the input gradient
 *   from the patch gradients).
 */
const PATCHES = `
  (func (export "im2col") ${PATCH_PARAMS}
    ${overPatches(
      overChannels(
        (at) => `(v128.store ${sum(get('cols'), at)} (v128.load ${sum(get('src'), at)}))`,
        (at) => `(f32.store ${sum(get('cols'), at)} (f32.load ${sum(get('src'), at)}))`,
      ),
      '(memory.fill (local.get $cols) (i32.const 0) (local.get $cb))',
    )})

  (func (export "col2im") ${PATCH_PARAMS}
    (memory.fill (local.get $x) (i32.const 0)
      (i32.mul (i32.mul (i32.mul (local.get $b) (local.get $h)) (local.get $w)) (i32.shl (local.get $c) (i32.const 2))))
    ${overPatches(
      overChannels(
        (at) =>
          `(v128.store ${sum(get('src'), at)} (f32x4.add (v128.load ${sum(get('src'), at)}) (v128.load ${sum(get('cols'), at)})))`,
        (at) =>
          `(f32.store ${sum(get('src'), at)} (f32.add (f32.load ${sum(get('src'), at)}) (f32.load ${sum(get('cols'), at)})))`,
      ),
      '',
    )})`;

/** The pack_b and gemm functions (and their tiles), for the fused module. */
export function gemmWat(fma: boolean): string {
  return `${PACK_B}
${PATCHES}
  (func $gemm (export "gemm") (param $a i32) (param $sai i32) (param $sak i32) (param $pb0 i32) (param $ps i32)
      (param $c i32) (param $sci i32) (param $scj i32) (param $m i32) (param $k i32) (param $n i32)
      (param $bias i32) (param $acc i32)
    (local $i i32) (local $p i32) (local $np i32)
    ${TILE_LOCALS}
    (local.set $np (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3)))
    (block $fours
      (loop $rows4
        (br_if $fours (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
        ${panels(4, fma)}
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows4)))
    (block $ones
      (loop $rows1
        (br_if $ones (i32.ge_u (local.get $i) (local.get $m)))
        ${panels(1, fma)}
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows1))))

  (func (export "gemm_batched") (param $a i32) (param $sab i32) (param $sai i32) (param $sak i32)
      (param $b i32) (param $sbb i32) (param $sbk i32) (param $sbn i32) (param $pb i32)
      (param $c i32) (param $scb i32) (param $sci i32) (param $scj i32)
      (param $batches i32) (param $m i32) (param $k i32) (param $n i32) (param $bias i32)
    (local $p i32)
    ${forUp(
      'p',
      get('batches'),
      1,
      `(if (i32.or (i32.eqz (local.get $p)) (i32.ne (local.get $sbb) (i32.const 0)))
        (then (call $pack_b (i32.add (local.get $b) (i32.mul (local.get $p) (local.get $sbb)))
                            (local.get $sbk) (local.get $sbn) (local.get $pb) (local.get $k) (local.get $n))))
      (call $gemm (i32.add (local.get $a) (i32.mul (local.get $p) (local.get $sab))) (local.get $sai) (local.get $sak)
                  (local.get $pb) (i32.shl (local.get $k) (i32.const 5))
                  (i32.add (local.get $c) (i32.mul (local.get $p) (local.get $scb))) (local.get $sci) (local.get $scj)
                  (local.get $m) (local.get $k) (local.get $n) (local.get $bias) (i32.const 0))`,
    )})
`;
}
