/**
 * Monaco, loaded on first use (it is several MB; the editor's first load must stay light). Workers per
 * docs/platform.md; the document's JSON Schema validates and completes `.heracles.json` text; code cells
 * get just enough types for `@tensorflow/tfjs` and `heracles` imports.
 */
import type * as Monaco from 'monaco-editor';
import { documentJsonSchema } from '$runtime/document/json-schema';
import { blockTypes } from '$blocks';

export type MonacoApi = typeof Monaco;

let loading: Promise<MonacoApi> | undefined;

const CODE_TYPES = `
declare module 'heracles' {
  import type * as tf from '@tensorflow/tfjs';
  export interface CodeBlockSpec {
    /** PascalCase type id shown in the palette. */
    type: string;
    displayName?: string;
    summary?: string;
    docs?: string;
    /** Output shape (no batch axis) from the input shapes; throw an Error to say why they do not fit. */
    inferShape(inputs: number[][]): number[];
    /** The forward pass on batched tensors. */
    forward(inputs: tf.Tensor[], training: boolean): tf.Tensor;
  }
  export function defineCodeBlock(spec: CodeBlockSpec): CodeBlockSpec;
}
declare module '@tensorflow/tfjs' {
  export type Tensor = any;
  export type Rank = any;
  const tf: any;
  export = tf;
}
`;

export function loadMonaco(): Promise<MonacoApi> {
  loading ??= (async () => {
    const [monaco, editorWorker, jsonWorker, tsWorker] = await Promise.all([
      import('monaco-editor'),
      import('monaco-editor/editor/editor.worker?worker'),
      import('monaco-editor/language/json/json.worker?worker'),
      import('monaco-editor/language/typescript/ts.worker?worker'),
    ]);
    self.MonacoEnvironment = {
      getWorker(_id: string, label: string) {
        if (label === 'json') return new jsonWorker.default();
        if (label === 'typescript' || label === 'javascript') return new tsWorker.default();
        return new editorWorker.default();
      },
    };
    const schema = structuredClone(documentJsonSchema()) as {
      properties: { nodes: { items: { properties: { type: Record<string, unknown> } } } };
    };
    // Completion of block types (code blocks are allowed too, so this is a suggestion list, not a rule).
    schema.properties.nodes.items.properties.type.examples = blockTypes();
    monaco.json.jsonDefaults.setDiagnosticsOptions({
      validate: true,
      allowComments: false,
      schemas: [{ uri: 'heracles://document.schema.json', fileMatch: ['*.heracles.json'], schema }],
    });
    monaco.typescript.typescriptDefaults.addExtraLib(CODE_TYPES, 'file:///heracles-code.d.ts');
    monaco.typescript.typescriptDefaults.setCompilerOptions({
      target: monaco.typescript.ScriptTarget.ES2020,
      module: monaco.typescript.ModuleKind.ESNext,
      strict: true,
      noEmit: true,
    });
    return monaco;
  })();
  loading.catch(() => (loading = undefined));
  return loading;
}
