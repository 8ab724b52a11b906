import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../tests/unit/helpers';

/** Runs the real `heracles` binary. */
function heracles(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/heracles.js'), ...args], {
    encoding: 'utf8',
    cwd: ROOT,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('heracles info', () => {
  it('prints per-node shapes, params and MACs of a preset as JSON', () => {
    const r = heracles('info', 'heracles-s', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.totals.params).toBe(21_229_512);
    expect(Object.keys(j.nodes[0]).sort()).toEqual(['id', 'macs', 'outputShape', 'params', 'type']);
    expect(j.nodes.find((n: { id: string }) => n.id === 'stage1').outputShape).toEqual([56, 56, 64]);
  });

  it('prints a readable table', () => {
    const r = heracles('info', 'heracles-s');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/21,229,512 parameters, 4\.2\d\d GMACs per sample/);
    expect(r.out).toMatch(/stage3\s+Stage\s+\[14, 14, 320\]/);
  });

  it('accepts a path to a document', () => {
    const r = heracles('info', path.join(ROOT, 'tests/fixtures/small-image.heracles.json'), '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).nodes.at(-1).outputShape).toEqual([10]);
  });

  it('exits 2 with one `<id>: <message>` line per problem and no stack trace', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'heracles-'));
    const bad = JSON.parse(readFileSync(path.join(ROOT, 'tests/fixtures/small-image.heracles.json'), 'utf8'));
    bad.nodes[2].params.dim = 17;
    bad.nodes[5].type = 'ClassAtention';
    bad.edges.push({ id: 'loop', source: 'head', target: 'nowhere' });
    const file = path.join(dir, 'bad.heracles.json');
    writeFileSync(file, JSON.stringify(bad));
    const r = heracles('info', file);
    expect(r.code).toBe(2);
    const lines = r.err.trim().split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^stage1: without a downsample the stage keeps its 16 input channels, but Channels is 17/,
      ),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^cls: unknown block type "ClassAtention"/));
    expect(lines).toContainEqual(expect.stringMatching(/^loop: ends at node "nowhere"/));
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toBe('');
  });

  it('exits 2 on malformed JSON, a missing file and unknown flags', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'heracles-'));
    const file = path.join(dir, 'broken.heracles.json');
    writeFileSync(file, '{"schemaVersion": 1, "nodes": [');
    let r = heracles('info', file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^\$: not valid JSON: .* at line 1, column \d+/);
    r = heracles('info', 'no-such-preset');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no-such-preset: no such file or preset \(presets: .*heracles-s/);
    r = heracles('info', 'heracles-s', '--bogus');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bogus/);
    r = heracles('frobnicate');
    expect(r.code).toBe(2);
  });
});
