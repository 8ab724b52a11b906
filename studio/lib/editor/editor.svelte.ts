/**
 * The editor's state as a rune class: the document (immutable, replaced by each command), its analysis
 * (derived, so computed once per change), the command history, the selection and the status line.
 * Everything that changes the document goes through `run`, so undo, autosave and the analysis follow.
 */
import { getBlock } from '$blocks';
import type { ParamValue } from '$blocks';
import {
  CommandError,
  convertToGroup,
  describe,
  freshId,
  History,
  idStem,
  newEdgeId,
  type Command,
  type Position,
} from '$runtime/editor/commands';
import {
  clipboardText,
  copyBlocks,
  parseClipboardText,
  pasteCommand,
  type BlocksClipboard,
} from '$runtime/editor/clipboard';
import { canConnect, type ConnectCheck } from '$runtime/editor/connect';
import { analyzeDocument, type GraphAnalysis } from '$runtime/graph/analyze';
import { formatIssue, type HeraclesDocument } from '$runtime/document/schema';
import { loadDocument } from '$runtime/document/load';
import { saveAutosave } from './autosave';
import { idSet, issuesBy } from './flow';
import { isInnerId, resolveInner, rootId, SEP, type InnerNode } from './expand';
import {
  addToGroup,
  checkGroupLink,
  connectInGroup,
  definitionId,
  removeFromGroup,
  type InnerLink,
} from '$runtime/editor/group-edit';

export type Status = { kind: 'info' | 'error'; text: string };

/** A new model: an Input and an Output for 28×28×1 images in 10 classes, defaults filled in. */
export function newDocument(): HeraclesDocument {
  const r = loadDocument({
    schemaVersion: 2,
    metadata: { name: 'Untitled model' },
    task: { kind: 'classification', inputShape: [28, 28, 1], classes: 10 },
    nodes: [
      { id: 'input', type: 'Input', params: { shape: [28, 28, 1] }, position: { x: 0, y: 0 } },
      { id: 'output', type: 'Output', params: {}, position: { x: 0, y: 560 } },
    ],
    edges: [],
  });
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join('; '));
  return r.doc;
}

function safeAnalyze(doc: HeraclesDocument): GraphAnalysis {
  try {
    return analyzeDocument(doc);
  } catch (e) {
    return {
      issues: [
        {
          where: { kind: 'path', path: '$' },
          code: 'internal',
          message: `the analysis failed: ${e instanceof Error ? e.message : String(e)}`,
        },
      ],
      nodes: {},
      edgeShapes: {},
      order: [],
      totals: { params: 0, macs: 0 },
    };
  }
}

export class EditorState {
  doc = $state.raw<HeraclesDocument>(newDocument());
  /** Whether the notebook's code may run (set by the notebook; the training worker asks). */
  codeTrusted = true;
  /** Bumped when block types come or go (a notebook's code blocks): the analysis re-reads the registry. */
  registryRevision = $state(0);
  /** Recomputed lazily, once per new document (or registry change). */
  analysis = $derived.by(() => {
    void this.registryRevision;
    return safeAnalyze(this.doc);
  });
  issuesByNode = $derived(issuesBy(this.analysis.issues, 'node'));
  issuesByEdge = $derived(issuesBy(this.analysis.issues, 'edge'));
  canUndo = $state(false);
  canRedo = $state(false);
  undoLabel = $state<string | undefined>();
  redoLabel = $state<string | undefined>();
  selectedNodes = $state.raw<string[]>([]);
  selectedEdges = $state.raw<string[]>([]);
  /** A selection the editor wants the canvas to show (after add, paste, select all). */
  selectRequest = $state.raw<string[] | null>(null);
  status = $state.raw<Status | null>(null);
  /** Composites shown expanded, by path (`stage1`, `stage1/b0`): view state, never in the document. */
  expanded = $state.raw<readonly string[]>([]);
  /** Bumped on every change; `savedRevision` catches up when the autosave is written. */
  revision = $state(0);
  savedRevision = $state(-1);

  #history = new History(this.doc);
  #clipboard: BlocksClipboard | null = null;
  #saving: Promise<void> = Promise.resolve();
  /** False until the first document is in place (autosave must not overwrite the stored one before). */
  autosave = false;

  #changed(): void {
    this.doc = this.#history.doc;
    this.canUndo = this.#history.canUndo;
    this.canRedo = this.#history.canRedo;
    this.undoLabel = this.#history.undoLabel;
    this.redoLabel = this.#history.redoLabel;
    const known = idSet(this.doc.nodes);
    // Inner nodes (paths) stay selected while their top-level composite exists.
    if (this.selectedNodes.some((id) => !known.has(rootId(id))))
      this.selectedNodes = this.selectedNodes.filter((id) => known.has(rootId(id)));
    this.revision++;
    if (this.autosave) this.#save();
  }

  #save(): void {
    const doc = this.doc;
    const rev = this.revision;
    this.#saving = this.#saving
      .then(() => saveAutosave(doc))
      .then(
        () => {
          if (rev > this.savedRevision) this.savedRevision = rev;
        },
        (e) => this.say('error', `Autosave failed: ${e instanceof Error ? e.message : String(e)}`),
      );
  }

  say(kind: Status['kind'], text: string): void {
    this.status = { kind, text };
  }

  /** Applies a command through the history; a command that does not fit changes nothing. */
  run(cmd: Command): boolean {
    try {
      this.#history.do(cmd);
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      this.say('error', `Could not ${describe(cmd)}: ${e.message}`);
      return false;
    }
    this.#changed();
    return true;
  }

  undo(): void {
    const label = this.#history.undoLabel;
    if (this.#history.undo()) {
      this.#changed();
      this.say('info', `Undid ${label}`);
    }
  }

  redo(): void {
    const label = this.#history.redoLabel;
    if (this.#history.redo()) {
      this.#changed();
      this.say('info', `Redid ${label}`);
    }
  }

  select(ids: string[]): void {
    this.selectedNodes = ids;
    this.selectedEdges = [];
    this.selectRequest = ids;
  }

  /** Replaces the document (open, template, share link): a fresh history. */
  open(doc: HeraclesDocument, message?: string): void {
    this.#history.reset(doc);
    this.expanded = [];
    this.select([]);
    this.#changed();
    if (message) this.say('info', message);
  }

  addBlock(type: string, position: Position): string | undefined {
    const block = getBlock(type);
    if (!block) return undefined;
    const id = freshId(idSet(this.doc.nodes), idStem(type));
    const ok = this.run({
      type: 'addNode',
      node: { id, type, params: {}, position: { x: Math.round(position.x), y: Math.round(position.y) } },
    });
    if (!ok) return undefined;
    this.select([id]);
    this.say('info', `Added ${block.displayName} "${id}"`);
    return id;
  }

  check(
    source: string,
    sourceHandle: string | null | undefined,
    target: string,
    targetHandle: string | null | undefined,
  ): ConnectCheck {
    if (isInnerId(source) || isInnerId(target)) {
      const g = this.#groupLink(source, sourceHandle, target, targetHandle);
      if ('reason' in g) return { ok: false, reason: g.reason };
      return checkGroupLink(this.doc, g.ref, g.link, g.inner);
    }
    return canConnect(this.doc, this.analysis, source, sourceHandle, target, targetHandle);
  }

  connect(
    source: string,
    sourceHandle: string | null | undefined,
    target: string,
    targetHandle: string | null | undefined,
  ): boolean {
    const r = this.check(source, sourceHandle, target, targetHandle);
    if (!r.ok) {
      this.say('error', `Cannot connect: ${r.reason}`);
      return false;
    }
    if (isInnerId(source)) {
      const g = this.#groupLink(source, sourceHandle, target, targetHandle);
      return 'ref' in g && this.#runGroupEdit(() => connectInGroup(this.doc, g.ref, g.link, g.inner));
    }
    return this.run({
      type: 'connect',
      edge: {
        id: newEdgeId(this.doc, source, target),
        source,
        sourceHandle: sourceHandle ?? 'out',
        target,
        targetHandle: targetHandle ?? 'in',
      },
    });
  }

  /** The user group an inner node belongs to, when its structure can be edited here. */
  editableInner(path: string): (InnerNode & { edit: NonNullable<InnerNode['edit']> }) | undefined {
    const inner = resolveInner(this.analysis, path);
    return inner?.edit ? (inner as InnerNode & { edit: NonNullable<InnerNode['edit']> }) : undefined;
  }

  /** A link between two inner nodes of the same group (ids as in the group's definition). */
  #groupLink(
    source: string,
    sourceHandle: string | null | undefined,
    target: string,
    targetHandle: string | null | undefined,
  ): { ref: string; link: InnerLink; inner?: GraphAnalysis } | { reason: string } {
    const a = this.editableInner(source);
    const b = this.editableInner(target);
    if (!a || !b)
      return {
        reason:
          isInnerId(source) !== isInnerId(target)
            ? 'a link cannot cross the border of an expanded block'
            : "the blocks inside a Stage or Heracles Block come from its params ('Convert to group' to edit them)",
      };
    if (a.parentPath !== b.parentPath) return { reason: 'both ends must be inside the same group' };
    const repeatOf = (id: string) => /^r(\d+)\./.exec(id)?.[1] ?? '';
    if (repeatOf(a.id) !== repeatOf(b.id))
      return { reason: 'link blocks of the same repeat (every repeat is the same graph)' };
    return {
      ref: a.edit.ref,
      link: {
        source: a.edit.id,
        sourceHandle: sourceHandle ?? 'out',
        target: b.edit.id,
        targetHandle: targetHandle ?? 'in',
      },
      // With one repeat the inner analysis uses the definition's ids; with more it does not.
      inner: a.edit.repeat > 1 ? undefined : a.parent.inner,
    };
  }

  #runGroupEdit(make: () => Command, done?: string): boolean {
    let cmd: Command;
    try {
      cmd = make();
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      this.say('error', `Could not edit the group: ${e.message}`);
      return false;
    }
    const ok = this.run(cmd);
    if (ok && done) this.say('info', done);
    return ok;
  }

  /** Adds a block inside the expanded group shown at `path` (every repeat gets it). */
  addToGroup(path: string, type: string): boolean {
    const info = resolveInner(this.analysis, path)?.info ?? this.analysis.nodes[path];
    if (info?.type !== 'Group') return false;
    const ref = String(info.params?.ref ?? '');
    let id = '';
    const ok = this.#runGroupEdit(
      () => {
        const r = addToGroup(this.doc, ref, type);
        id = r.id;
        return r.command;
      },
      `Added ${getBlock(type)?.displayName ?? type} to group "${ref}": link it inside the group`,
    );
    if (ok) this.select([`${path}${SEP}${Number(info.params?.repeat ?? 1) > 1 ? 'r0.' : ''}${id}`]);
    return ok;
  }

  /** Top-level selected nodes (inner nodes of expanded composites are not document nodes). */
  get selectedTopLevel(): string[] {
    return this.selectedNodes.filter((id) => !isInnerId(id));
  }

  toggleExpanded(path: string): void {
    this.expanded = this.expanded.includes(path)
      ? this.expanded.filter((p) => p !== path)
      : [...this.expanded, path];
  }

  /** "Convert to group" for a Stage / Heracles Block: one undoable command. */
  convertToGroup(id: string): boolean {
    let prepared: ReturnType<typeof convertToGroup>;
    try {
      prepared = convertToGroup(this.doc, id);
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      this.say('error', `Could not convert ${id} to a group: ${e.message}`);
      return false;
    }
    if (!this.run(prepared.command)) return false;
    this.say(
      'info',
      `Converted ${id} to a Group over "${prepared.ref}": edit a block inside to change every repeat${prepared.note ? ` (${prepared.note})` : ''}`,
    );
    return true;
  }

  /** Edits a param of a node inside the group `ref` (every repeat and every Group using it). */
  setCompositeParam(ref: string, id: string, name: string, value: ParamValue | undefined): void {
    this.run({ type: 'setCompositeParam', ref, id, name, value });
  }

  deleteSelection(): void {
    if (this.#deleteInner()) return;
    const ids = this.selectedTopLevel;
    const nodeSet = idSet(ids.map((id) => ({ id })));
    const edgeIds = this.selectedEdges.filter((id) => {
      const e = this.doc.edges.find((x) => x.id === id);
      return e && !nodeSet.has(e.source) && !nodeSet.has(e.target);
    });
    if (!ids.length && !edgeIds.length) return;
    if (this.run({ type: 'removeNodes', ids, edgeIds })) {
      this.selectedNodes = [];
      this.selectedEdges = [];
      this.say(
        'info',
        `Deleted ${ids.length} block${ids.length === 1 ? '' : 's'} and ${edgeIds.length ? 'links' : 'their links'}`,
      );
    }
  }

  /** Deletes selected blocks and links inside one user group (when that is what is selected). */
  #deleteInner(): boolean {
    const nodes = this.selectedNodes.filter(isInnerId).map((p) => this.editableInner(p));
    const edges = this.selectedEdges.filter(isInnerId).flatMap((id) => {
      const cut = id.lastIndexOf(SEP);
      const parentPath = id.slice(0, cut);
      const m = /^e(\d+)$/.exec(id.slice(cut + 1));
      const parent = resolveInner(this.analysis, parentPath)?.info ?? this.analysis.nodes[parentPath];
      const e = m && parent?.type === 'Group' ? parent.expanded?.edges[Number(m[1])] : undefined;
      return e ? [{ ref: String(parent?.params?.ref), e }] : [];
    });
    if (!nodes.length && !edges.length) return false;
    const unique = <T>(xs: T[]): T[] => xs.filter((x, i) => xs.indexOf(x) === i);
    const refs = unique([...nodes.map((n) => n?.edit.ref), ...edges.map((x) => x.ref)]);
    if (nodes.some((n) => !n) || refs.length !== 1) {
      this.say('error', 'Delete blocks inside one group at a time (generated blocks cannot be deleted)');
      return true;
    }
    const ref = refs[0] as string;
    const ids = unique(nodes.map((n) => n?.edit.id as string));
    const links = edges
      .map(({ e }) => ({
        source: definitionId(e.source),
        sourceHandle: e.sourceHandle,
        target: definitionId(e.target),
        targetHandle: e.targetHandle,
      }))
      .filter((l) => !ids.includes(l.source) && !ids.includes(l.target));
    const distinct = links.filter(
      (l, i) => links.findIndex((k) => JSON.stringify(k) === JSON.stringify(l)) === i,
    );
    if (
      this.#runGroupEdit(
        () => removeFromGroup(this.doc, ref, ids, distinct),
        `Deleted ${ids.length ? `${ids.length} block${ids.length === 1 ? '' : 's'}` : `${distinct.length} link${distinct.length === 1 ? '' : 's'}`} in group "${ref}" (every repeat)`,
      )
    ) {
      this.selectedNodes = [];
      this.selectedEdges = [];
    }
    return true;
  }

  move(positions: Record<string, Position>): void {
    const changed = Object.entries(positions).filter(([id, p]) => {
      const n = this.doc.nodes.find((x) => x.id === id);
      return n && (n.position?.x !== p.x || n.position?.y !== p.y);
    });
    if (changed.length) this.run({ type: 'moveNodes', positions: Object.fromEntries(changed) });
  }

  setParam(id: string, name: string, value: ParamValue | undefined): void {
    this.run({ type: 'setParam', id, name, value });
  }

  setLabel(id: string, label: string): void {
    this.run({ type: 'setLabel', id, label: label.trim() || undefined });
  }

  /** Copies the selection; returns it as clipboard text (for the system clipboard, other tabs). */
  copy(): string | undefined {
    if (!this.selectedTopLevel.length) {
      this.say('info', 'Select blocks to copy');
      return undefined;
    }
    this.#clipboard = copyBlocks(this.doc, this.selectedTopLevel);
    const n = this.#clipboard.nodes.length;
    this.say('info', `Copied ${n} block${n === 1 ? '' : 's'}`);
    return clipboardText(this.#clipboard);
  }

  /**
   * Pastes blocks: from clipboard text when given (copied in any tab or document), else from the last copy
   * here. Text that is not Heracles blocks gets a message and changes nothing.
   */
  paste(text?: string): void {
    let clip = this.#clipboard;
    if (text !== undefined && text.trim()) {
      const r = parseClipboardText(text);
      if (!r.ok) return this.say('error', `Nothing pasted: ${r.message}`);
      clip = r.clip;
    }
    if (!clip) return this.say('info', 'Nothing to paste: copy blocks first');
    const { command, ids } = pasteCommand(this.doc, clip);
    if (this.run(command)) {
      this.select(ids);
      this.#clipboard = copyBlocks(this.doc, ids);
      this.say('info', `Pasted ${ids.length} block${ids.length === 1 ? '' : 's'}`);
    }
  }

  duplicate(): void {
    this.copy();
    this.paste();
  }

  /** Resolves once every autosave started so far is written. */
  flushed(): Promise<void> {
    return this.#saving;
  }
}
