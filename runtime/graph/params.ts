/**
 * Block params: fill defaults, check each value against the block's param spec, run the block's
 * cross-field checks. Every problem names the param and says what was expected.
 */
import { BlockError } from '../../blocks/types';
import type { BlockDef, ParamSpec, ParamValue, ParamValues } from '../../blocks/types';

export interface ParamProblem {
  param?: string;
  message: string;
  hint?: string;
}

/** Checks one value against its spec; returns a message or null. */
export function checkParamValue(spec: ParamSpec, value: unknown): string | null {
  switch (spec.kind) {
    case 'int':
    case 'float': {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return `expected a number, got ${show(value)}`;
      if (spec.kind === 'int' && !Number.isInteger(value)) return `expected a whole number, got ${value}`;
      if (spec.min !== undefined && value < spec.min) return `must be ≥ ${spec.min}, got ${value}`;
      if (spec.max !== undefined && value > spec.max) return `must be ≤ ${spec.max}, got ${value}`;
      return null;
    }
    case 'bool':
      return typeof value === 'boolean' ? null : `expected true or false, got ${show(value)}`;
    case 'enum':
      return typeof value === 'string' && spec.options.includes(value)
        ? null
        : `expected one of ${spec.options.map((o) => `"${o}"`).join(', ')}, got ${show(value)}`;
    case 'string':
      return typeof value === 'string' ? null : `expected text, got ${show(value)}`;
    case 'ints': {
      if (!Array.isArray(value) || value.some((x) => typeof x !== 'number' || !Number.isInteger(x)))
        return `expected a list of whole numbers, got ${show(value)}`;
      if (spec.minLength !== undefined && value.length < spec.minLength)
        return `expected at least ${spec.minLength} numbers, got ${value.length}`;
      if (spec.maxLength !== undefined && value.length > spec.maxLength)
        return `expected at most ${spec.maxLength} numbers, got ${value.length}`;
      const { min, max } = spec;
      if (min !== undefined && value.some((x: number) => x < min))
        return `every number must be ≥ ${min}, got ${show(value)}`;
      if (max !== undefined && value.some((x: number) => x > max))
        return `every number must be ≤ ${max}, got ${show(value)}`;
      return null;
    }
  }
}

/** Params with defaults filled in, plus every problem found. */
export function resolveParams(
  block: BlockDef,
  given: Record<string, unknown> | undefined,
): { values: ParamValues; problems: ParamProblem[] } {
  const values: ParamValues = {};
  const problems: ParamProblem[] = [];
  const specs = block.params as Record<string, ParamSpec>;
  for (const [name, spec] of Object.entries(specs)) {
    const value = given?.[name];
    if (value === undefined) {
      values[name] = structuredClone(spec.default) as ParamValue;
      continue;
    }
    const problem = checkParamValue(spec, value);
    if (problem) problems.push({ param: name, message: `${spec.label} (${name}) ${problem}` });
    values[name] = (problem ? structuredClone(spec.default) : value) as ParamValue;
  }
  for (const name of Object.keys(given ?? {})) {
    if (!Object.hasOwn(specs, name)) {
      const known = Object.keys(specs);
      const close = known.find((k) => k.toLowerCase() === name.toLowerCase() || editDistance(k, name) <= 2);
      problems.push({
        param: name,
        message: `${block.displayName} has no param "${name}"`,
        hint: close
          ? `did you mean "${close}"?`
          : known.length
            ? `its params are ${known.join(', ')}`
            : 'it takes no params',
      });
    }
  }
  if (problems.length === 0 && block.checkParams) {
    try {
      block.checkParams(values);
    } catch (e) {
      if (e instanceof BlockError) problems.push({ param: e.param, message: e.message, hint: e.hint });
      else throw e;
    }
  }
  return { values, problems };
}

function show(x: unknown): string {
  if (x === undefined) return 'nothing';
  const s = JSON.stringify(x);
  return s === undefined ? String(x) : s.length > 40 ? s.slice(0, 40) + '…' : s;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}
