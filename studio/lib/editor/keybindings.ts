/** Keybindings as data: each command id with its keys, label and group. The shortcuts dialog lists these. */
export type CommandId =
  | 'undo'
  | 'redo'
  | 'delete'
  | 'copy'
  | 'paste'
  | 'duplicate'
  | 'selectAll'
  | 'fitView'
  | 'shortcuts'
  | 'save'
  | 'escape'
  | 'viewGraph'
  | 'viewNotebook'
  | 'viewJson'
  | 'viewCode';

export interface Keybinding {
  command: CommandId;
  /** `Mod` is Ctrl (or ⌘ on a Mac); keys are `KeyboardEvent.key` values, letters lower-case. */
  keys: string[];
  label: string;
}

export const KEYBINDINGS: readonly Keybinding[] = [
  { command: 'undo', keys: ['Mod+z'], label: 'Undo' },
  { command: 'redo', keys: ['Mod+Shift+z', 'Mod+y'], label: 'Redo' },
  { command: 'delete', keys: ['Delete', 'Backspace'], label: 'Delete the selection' },
  { command: 'copy', keys: ['Mod+c'], label: 'Copy the selection' },
  { command: 'paste', keys: ['Mod+v'], label: 'Paste' },
  { command: 'duplicate', keys: ['Mod+d'], label: 'Duplicate the selection' },
  { command: 'selectAll', keys: ['Mod+a'], label: 'Select all blocks' },
  { command: 'fitView', keys: ['Shift+!', 'Shift+1'], label: 'Fit the graph in view' },
  { command: 'save', keys: ['Mod+s'], label: 'Save as a .heracles.json file' },
  { command: 'shortcuts', keys: ['?', 'Shift+?'], label: 'Show keyboard shortcuts' },
  { command: 'escape', keys: ['Escape'], label: 'Close a dialog / clear the selection' },
  { command: 'viewGraph', keys: ['Alt+1'], label: 'Show the graph' },
  { command: 'viewNotebook', keys: ['Alt+2'], label: 'Show the notebook' },
  { command: 'viewJson', keys: ['Alt+3'], label: 'Show the document as JSON' },
  { command: 'viewCode', keys: ['Alt+4'], label: 'Show the generated code' },
];

/** Keys that panels handle themselves (listed in the shortcuts dialog too). */
export const PANEL_KEYS: readonly { keys: string[]; label: string }[] = [
  { keys: ['Mod+Enter'], label: 'Train panel: start, pause or resume training' },
  { keys: ['Mod+.'], label: 'Train panel: stop training' },
  { keys: ['Alt+ArrowUp', 'Alt+ArrowDown'], label: 'Notebook: move the focused cell' },
  { keys: ['Shift+Enter'], label: 'Notebook code cell: run the code' },
  { keys: ['Mod+Enter'], label: 'Notebook note: save the edit' },
];

/** `Mod+Shift+z` for a key event (Ctrl and ⌘ both count as Mod). */
export function chordOf(
  e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>,
): string {
  const parts: string[] = [];
  if (e.ctrlKey || e.metaKey) parts.push('Mod');
  if (e.altKey) parts.push('Alt');
  if (e.shiftKey) parts.push('Shift');
  parts.push(e.key.length === 1 ? e.key.toLowerCase() : e.key);
  return parts.join('+');
}

const byChord = new Map<string, CommandId>();
for (const b of KEYBINDINGS) for (const k of b.keys) byChord.set(k, b.command);

export const commandForKey = (e: Parameters<typeof chordOf>[0]): CommandId | undefined =>
  byChord.get(chordOf(e));

/** How a chord reads in the dialog: `Ctrl+Shift+Z`. */
export const showChord = (k: string): string =>
  k
    .split('+')
    .map((p) => (p === 'Mod' ? 'Ctrl' : p.length === 1 ? p.toUpperCase() : p))
    .join('+');
