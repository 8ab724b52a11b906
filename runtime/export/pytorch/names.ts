/**
 * Python names for the studio's node paths. A tfjs layer `stage1/b0/ffn/fc1` becomes the module
 * `self.stage1.b0.ffn.fc1` (containers are `Group` modules) and the state-dict key prefix
 * `stage1.b0.ffn.fc1`. Node ids may hold `.`, `-`, start with a digit or be a Python keyword, so every
 * path segment is turned into a safe identifier, kept unique among its siblings.
 */

const PY_KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except finally for ' +
    'from global if import in is lambda nonlocal not or pass raise return try while with yield'
  ).split(' '),
);

/** Attributes of torch.nn.Module (1.13): a child module with one of these names would shadow it. */
const MODULE_ATTRIBUTES = new Set(
  (
    'T_destination add_module apply bfloat16 buffers children cpu cuda double dump_patches eval extra_repr ' +
    'float forward get_buffer get_extra_state get_parameter get_submodule half ipu load_state_dict modules ' +
    'named_buffers named_children named_modules named_parameters parameters register_backward_hook ' +
    'register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook ' +
    'register_load_state_dict_post_hook register_module register_parameter requires_grad_ set_extra_state ' +
    'share_memory state_dict to to_empty train training type xpu zero_grad'
  ).split(' '),
);

/** Names the generated forward() uses itself. */
const FORWARD_RESERVED = new Set(['self', 'torch', 'nn', 'F', 'math']);

/** A Python identifier close to `s`. */
export function pyIdent(s: string, reserved: ReadonlySet<string> = MODULE_ATTRIBUTES): string {
  let id = s.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z]/.test(id)) id = `n${id}`;
  if (PY_KEYWORDS.has(id) || reserved.has(id) || FORWARD_RESERVED.has(id)) id = `${id}_`;
  return id;
}

/** A module in the tree: either a container (Group) or a layer. */
export interface ModuleNode {
  /** Python attribute path from the root model, e.g. `stage1.b0.ffn.fc1`. */
  attr: string;
  children: Map<string, ModuleNode>;
  /** Set when a tfjs layer lives here. */
  layer?: string;
}

/**
 * Builds the module tree of the layer paths that get a module. Returns each layer's attribute path.
 * Throws when a path is both a layer and a container (the studio never builds that).
 */
export function moduleTree(layerNames: string[]): { root: ModuleNode; attrOf: Map<string, string> } {
  const root: ModuleNode = { attr: '', children: new Map() };
  // Per container: segment as in the studio → the identifier it got (stable across layers).
  const idents = new Map<ModuleNode, Map<string, string>>();
  const attrOf = new Map<string, string>();
  for (const name of layerNames) {
    let node = root;
    for (const seg of name.split('/')) {
      let own = idents.get(node);
      if (!own) idents.set(node, (own = new Map()));
      let id = own.get(seg);
      if (!id) {
        const base = pyIdent(seg);
        id = base;
        for (let i = 2; [...own.values()].includes(id); i++) id = `${base}_${i}`;
        own.set(seg, id);
      }
      let child = node.children.get(id);
      if (!child) {
        child = { attr: node.attr ? `${node.attr}.${id}` : id, children: new Map() };
        node.children.set(id, child);
      }
      if (node.layer) throw new Error(`layer "${node.layer}" would also have to hold "${name}"`);
      node = child;
    }
    if (node.children.size) throw new Error(`layer "${name}" would also have to hold other layers`);
    node.layer = name;
    attrOf.set(name, node.attr);
  }
  return { root, attrOf };
}

/** Unique local variable names for forward(), one per tensor, readable as the node path. */
export class VarNames {
  private used = new Set<string>();
  name(path: string): string {
    const base = pyIdent(path.replace(/\//g, '_'), new Set());
    let id = base;
    for (let i = 2; this.used.has(id); i++) id = `${base}_${i}`;
    this.used.add(id);
    return id;
  }
}
