import { describe, expect, it } from 'vitest';
import { chain, fixture, mustLoad } from '../../tests/unit/helpers';
import { formatIssue } from '../document/schema';
import { analyzeDocument } from './analyze';

const lines = (doc: Parameters<typeof analyzeDocument>[0]) => analyzeDocument(doc).issues.map(formatIssue);

describe('graph analysis', () => {
  it('infers shapes and costs of a valid document with no issues', () => {
    const a = analyzeDocument(fixture('small-image.heracles.json'));
    expect(a.issues).toEqual([]);
    expect(a.nodes.stem.outputShapes).toEqual([[14, 14, 16]]);
    expect(a.nodes.stage2.outputShapes).toEqual([[7, 7, 32]]);
    expect(a.nodes.output.outputShapes).toEqual([[10]]);
    expect(a.edgeShapes.e0).toEqual([28, 28, 1]);
    expect(a.totals.params).toBeGreaterThan(1000);
  });

  it('stops at the first error: upstream keeps shapes, downstream is unknown', () => {
    const doc = chain([
      { id: 'in', type: 'Input', params: { shape: [28, 28, 1] } },
      { id: 'stem', type: 'ConvStem', params: { dim: 31, width: 8, stride: 2 } },
      { id: 'mix', type: 'HeraclesMixer' },
      { id: 'attn', type: 'MultiHeadAttention', params: { heads: 2 } },
      { id: 'head', type: 'ClassifierHead', params: { classes: 10 } },
      { id: 'out', type: 'Output' },
    ]);
    let a = analyzeDocument(doc);
    expect(a.nodes.stem.status).toBe('ok');
    expect(a.nodes.stem.outputShapes).toEqual([[14, 14, 31]]);
    expect(a.nodes.attn.status).toBe('unknown');
    expect(a.nodes.head.status).toBe('unknown');
    expect(a.issues.map(formatIssue)).toEqual([
      expect.stringMatching(/^mix: splits channels in half, but gets 31 channels/),
    ]);
    // Fixing the param clears it; the next problem (heads) appears at its own node.
    doc.nodes[1].params.dim = 32;
    doc.nodes[3].params.heads = 3;
    a = analyzeDocument(doc);
    expect(a.nodes.mix.status).toBe('ok');
    expect(a.issues.map(formatIssue)).toEqual([
      expect.stringMatching(/^attn: 32 channels do not split evenly into 3 heads/),
    ]);
    doc.nodes[3].params.heads = 4;
    expect(lines(doc)).toEqual([]);
  });

  it('names unknown types, bad params and unknown params', () => {
    const doc = chain([
      { id: 'in', type: 'Input', params: { shape: [28, 28, 1] } },
      { id: 'x', type: 'HartleySsm' },
      { id: 'p', type: 'PatchEmbed', params: { patchSize: 'four', dim: -3, patchsize: 4 } },
      { id: 'out', type: 'Output' },
    ]);
    const l = lines(doc);
    expect(l).toContainEqual(expect.stringMatching(/^x: unknown block type "HartleySsm"/));
    expect(l).toContainEqual(
      expect.stringMatching(/^p: Patch size \(patchSize\) expected a number, got "four"/),
    );
    expect(l).toContainEqual(expect.stringMatching(/^p: Channels \(dim\) must be ≥ 1, got -3/));
    expect(l).toContainEqual(
      expect.stringMatching(/^p: Patch Embed has no param "patchsize" \(did you mean "patchSize"\?\)/),
    );
  });

  it('finds cycles, dangling edges, missing ports, duplicate ids and unconnected inputs', () => {
    const doc = mustLoad({
      schemaVersion: 1,
      metadata: { name: 't' },
      task: { kind: 'classification', inputShape: [28, 28, 1], classes: 10 },
      nodes: [
        { id: 'in', type: 'Input', params: { shape: [28, 28, 1] } },
        { id: 'a', type: 'LayerNorm' },
        { id: 'b', type: 'LayerNorm' },
        { id: 'b', type: 'Dense' },
        { id: 'lonely', type: 'GlobalPool' },
        { id: 'out', type: 'Output' },
      ],
      edges: [
        { id: 'e1', source: 'a', target: 'b' },
        { id: 'e2', source: 'b', target: 'a' },
        { id: 'e3', source: 'in', target: 'ghost' },
        { id: 'e4', source: 'in', sourceHandle: 'nope', target: 'out' },
        { id: 'e1', source: 'in', target: 'out' },
      ],
    });
    const l = lines(doc);
    expect(l).toContainEqual(expect.stringMatching(/^b: two nodes have the id "b"/));
    expect(l).toContainEqual(expect.stringMatching(/^a: is part of a cycle/));
    expect(l).toContainEqual(expect.stringMatching(/^e3: ends at node "ghost", which does not exist/));
    expect(l).toContainEqual(expect.stringMatching(/^e4: Input "in" has no output "nope"/));
    expect(l).toContainEqual(expect.stringMatching(/^e1: two edges have the id "e1"/));
    expect(l).toContainEqual(expect.stringMatching(/^lonely: input "in" of Global Pool is not connected/));
  });

  it('refuses a second edge into a single input and wrong port kinds, pinned to the edge', () => {
    const doc = mustLoad({
      schemaVersion: 1,
      metadata: { name: 't' },
      task: { kind: 'classification', inputShape: [28, 28, 1], classes: 10 },
      nodes: [
        { id: 'in', type: 'Input', params: { shape: [28, 28, 1] } },
        { id: 'pool', type: 'GlobalPool' },
        { id: 'stem', type: 'ConvStem', params: { dim: 16, width: 8 } },
        { id: 'ln', type: 'LayerNorm' },
        { id: 'out', type: 'Output' },
      ],
      edges: [
        { id: 'a', source: 'in', target: 'pool' },
        { id: 'b', source: 'pool', target: 'stem' },
        { id: 'c', source: 'in', target: 'ln' },
        { id: 'd', source: 'pool', target: 'ln' },
        { id: 'f', source: 'ln', target: 'out' },
      ],
    });
    const l = lines(doc);
    expect(l).toContainEqual(
      expect.stringMatching(
        /^b: Conv Stem "stem" expects image tokens \[H, W, C\] on "in", but gets a vector \[1\]/,
      ),
    );
    expect(l).toContainEqual(expect.stringMatching(/^d: input "in" of "ln" already has a connection/));
  });

  it('checks the graph against the task', () => {
    const doc = chain([
      { id: 'in', type: 'Input', params: { shape: [32, 32, 3] } },
      { id: 'pool', type: 'GlobalPool' },
      { id: 'head', type: 'ClassifierHead', params: { classes: 5 } },
      { id: 'out', type: 'Output' },
    ]);
    const l = lines(doc);
    expect(l).toContainEqual(
      expect.stringMatching(
        /^in: the Input shape \[32,32,3\] does not match the task, which expects \[28, 28, 1\]/,
      ),
    );
    expect(l).toContainEqual(
      expect.stringMatching(/^out: the model produces \[5\] but the classification task expects \[10\]/),
    );
  });

  it('expands composites and reports inner problems on the composite node', () => {
    const doc = chain([
      { id: 'in', type: 'Input', params: { shape: [28, 28, 1] } },
      { id: 'stem', type: 'ConvStem', params: { dim: 16, width: 8, stride: 2 } },
      {
        id: 's',
        type: 'Stage',
        params: { depth: 2, dim: 24, downsample: true, mixer: 'attention', heads: 5 },
      },
      { id: 'head', type: 'ClassifierHead', params: { classes: 10 } },
      { id: 'out', type: 'Output' },
    ]);
    const l = lines(doc);
    expect(l).toEqual([
      expect.stringMatching(/^s: inside, at "b0.mixer": 24 channels do not split evenly into 5 heads/),
    ]);
    doc.nodes[2].params.heads = 4;
    const a = analyzeDocument(doc);
    expect(a.issues).toEqual([]);
    expect(Object.keys(a.nodes.s.inner?.nodes ?? {})).toEqual(['down', 'b0', 'b1']);
    expect(a.nodes.s.inner?.nodes.b0.inner?.nodes.mixer.type).toBe('MultiHeadAttention');
  });

  it('expands user groups from the document, repeated', () => {
    const doc = mustLoad({
      schemaVersion: 1,
      metadata: { name: 't' },
      task: { kind: 'classification', inputShape: [8, 8, 4], classes: 3 },
      composites: {
        ln_dense: {
          nodes: [
            { id: 'ln', type: 'LayerNorm' },
            { id: 'fc', type: 'Dense', params: { units: 4 } },
          ],
          edges: [{ id: 'x', source: 'ln', target: 'fc' }],
          inputs: [[{ node: 'ln', handle: 'in' }]],
          outputs: [{ node: 'fc', handle: 'out' }],
        },
      },
      nodes: [
        { id: 'in', type: 'Input', params: { shape: [8, 8, 4] } },
        { id: 'g', type: 'Group', params: { ref: 'ln_dense', repeat: 3 } },
        { id: 'head', type: 'ClassifierHead', params: { classes: 3 } },
        { id: 'out', type: 'Output' },
      ],
      edges: [
        { id: 'a', source: 'in', target: 'g' },
        { id: 'b', source: 'g', target: 'head' },
        { id: 'c', source: 'head', target: 'out' },
      ],
    });
    const a = analyzeDocument(doc);
    expect(a.issues).toEqual([]);
    expect(a.nodes.g.cost?.params).toBe(3 * (8 + 20));
    doc.nodes[1].params.ref = 'nope';
    expect(lines(doc)).toEqual([
      expect.stringMatching(
        /^g: refers to group "nope", which this document does not define \(defined groups: ln_dense\)/,
      ),
    ]);
  });
});
