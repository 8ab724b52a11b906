/** What node components can ask of the editor (they are rendered by Svelte Flow, below the workspace). */
import { getContext, setContext } from 'svelte';

export interface CanvasActions {
  /** Shows or hides a composite's inner graph (view state, not a document change). */
  toggle(path: string): void;
  /** "Convert to group" for a top-level Stage or Heracles Block. */
  convert(id: string): void;
}

const KEY = Symbol('canvas-actions');

export const setCanvasActions = (actions: CanvasActions): CanvasActions => setContext(KEY, actions);
export const canvasActions = (): CanvasActions | undefined => getContext<CanvasActions | undefined>(KEY);
