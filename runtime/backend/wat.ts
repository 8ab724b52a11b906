/** Small generators of WebAssembly text shared by the kernel sources (`fused-wat.ts`, `gemm-wat.ts`). */

/** `(local.get $name)`. */
export const get = (name: string) => `(local.get $${name})`;

/** `a + b + …` of i32 expressions. */
export const sum = (...xs: string[]) => xs.reduce((a, b) => `(i32.add ${a} ${b})`);

/** The zero v128. */
export const ZERO = '(v128.const i32x4 0 0 0 0)';

/** `for ($v = 0; $v < limit; $v += step) body` (unsigned compare; `limit` is an i32 expression). */
export const forUp = (v: string, limit: string, step: number, body: string) => `
    (local.set $${v} (i32.const 0))
    (block $${v}_done
      (loop $${v}_next
        (br_if $${v}_done (i32.ge_u (local.get $${v}) ${limit}))
        ${body}
        (local.set $${v} (i32.add (local.get $${v}) (i32.const ${step})))
        (br $${v}_next)))`;
