/**
 * One lab per editor: the data, the training worker and its state, shared by every place that shows a lab
 * panel (the dock, the notebook's data/train/evaluate/export cells) and alive while the page is, so
 * switching views or tabs never stops a run.
 */
import type { Training } from '$runtime/document/schema';
import type { InspectRequest, InspectResponse } from '$runtime/evaluate/protocol';
import { DataState } from '../data/data-state.svelte';
import type { EditorState } from '../editor/editor.svelte';
import { trainingMemory } from '../editor/flow';
import { TrainState } from './train-state.svelte';

export interface LabSession {
  data: DataState;
  train: TrainState;
  /** Estimated training memory at a batch size. */
  memory(batch: number): number;
  inspect(request: InspectRequest): Promise<InspectResponse>;
}

const sessions = new WeakMap<EditorState, LabSession>();

export function labSession(editor: EditorState): LabSession {
  let s = sessions.get(editor);
  if (s) return s;
  const data = new DataState();
  const train = new TrainState({
    doc: () => editor.doc,
    setTraining: (training: Training) => editor.run({ type: 'setTraining', training }),
    trusted: () => editor.codeTrusted,
    data,
  });
  s = {
    data,
    train,
    memory: (batch) => trainingMemory(editor.analysis, Math.max(1, batch)),
    inspect: (request) => train.client.request('inspect', { request }),
  };
  sessions.set(editor, s);
  // Tests drive and observe the lab through this handle (as they read the editor's __heraclesDoc).
  if (typeof window !== 'undefined')
    Object.defineProperty(window, '__heraclesLab', { value: { train, data }, configurable: true });
  addEventListener('pagehide', () => train.dispose(), { once: true });
  return s;
}
