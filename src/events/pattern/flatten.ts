/**
 * Flattening guided by the field names that patterns use. event-ruler flattens an event into (name, value) leaves
 * and skips steps no rule names; here the walk follows a trie of the names' segments, so fields nobody references
 * are never visited, and each leaf is recorded on its trie node (and offered to that node's probe, if any).
 *
 * Array consistency (event-ruler's ArrayMembership): a leaf inside objects that are elements of arrays carries a
 * membership, the chain of array elements it sits in. Two leaves may be used together unless they sit in different
 * elements of one array. As in event-ruler, only object and array elements open a membership; scalars directly in
 * an array keep the membership of whatever holds the array.
 */

export interface Membership {
  readonly parent: Membership | null;
  readonly depth: number;
  /** Which array (numbered per walk) this is an element of; elements of one array are distinct objects. */
  readonly array: number;
}

/** Something that wants each leaf recorded at a node (the multi-rule index). `first`: the node's first leaf. */
export interface LeafProbe {
  probe(value: unknown, first: boolean): void;
}

export class PathNode {
  children: Map<string, PathNode> | null = null;
  /** How many conditions read this node's leaves; leaves are recorded only when > 0. */
  readers = 0;
  probe: LeafProbe | null = null;
  // Leaves of the current walk: the first `count` entries, valid only while `stamp` equals the trie's serial.
  // The arrays are reused from walk to walk (truncating them on every walk is measurably slower).
  stamp = 0;
  count = 0;
  /** Whether a leaf of the current walk sits in an array element (so consistency matters for this field). */
  nested = false;
  readonly values: unknown[] = [];
  readonly memberships: (Membership | null)[] = [];

  constructor(
    readonly parent: PathNode | null,
    readonly segment: string,
  ) {}
}

export class PathTrie {
  readonly root = new PathNode(null, '');
  serial = 0;
  private arrays = 0;

  /** The node for a field name's segments, created if missing, with one more reader. */
  acquire(segments: readonly string[]): PathNode {
    let node = this.root;
    for (const segment of segments) {
      node.children ??= new Map();
      let next = node.children.get(segment);
      if (next === undefined) node.children.set(segment, (next = new PathNode(node, segment)));
      node = next;
    }
    node.readers++;
    return node;
  }

  /** Drops one reader and prunes nodes nobody reads any more, so the walk stops visiting them. */
  release(node: PathNode): void {
    node.readers--;
    let n: PathNode | null = node;
    while (n !== null && n.parent !== null && n.readers === 0 && (n.children === null || n.children.size === 0)) {
      const siblings = n.parent.children!;
      siblings.delete(n.segment);
      if (siblings.size === 0) n.parent.children = null;
      n = n.parent;
    }
  }

  /** Walks an event object; afterwards `leafCount(node)` tells how many leaves each node holds. */
  walk(event: object): void {
    this.serial++;
    this.walkObject(this.root, event as Record<string, unknown>, null);
  }

  /** How many leaves the current walk recorded at `node`: its `values[0..n)` and `memberships[0..n)`. */
  leafCount(node: PathNode): number {
    return node.stamp === this.serial ? node.count : 0;
  }

  private walkObject(node: PathNode, obj: Record<string, unknown>, m: Membership | null): void {
    const children = node.children;
    if (children === null) return;
    for (const key in obj) {
      let child = children.get(key);
      if (child === undefined) {
        // event-ruler joins keys with "." before matching, so {"a.b": 1} is field a.b just like {"a": {"b": 1}}.
        if (key.indexOf('.') < 0) continue;
        child = this.descend(node, key);
        if (child === undefined) continue;
      }
      const v = obj[key];
      if (v !== undefined) this.visit(child, v, m);
    }
  }

  private descend(node: PathNode, dotted: string): PathNode | undefined {
    let n: PathNode | undefined = node;
    for (const segment of dotted.split('.')) {
      n = n.children?.get(segment);
      if (n === undefined) return undefined;
    }
    return n;
  }

  private visit(node: PathNode, v: unknown, m: Membership | null): void {
    if (v === null || typeof v !== 'object') {
      this.leaf(node, v, m);
    } else if (Array.isArray(v)) {
      const array = ++this.arrays;
      for (let i = 0; i < v.length; i++) {
        const e: unknown = v[i];
        if (e === null || typeof e !== 'object') {
          if (e !== undefined) this.leaf(node, e, m);
        } else if (Array.isArray(e) || node.children !== null) {
          this.visit(node, e, { parent: m, depth: m === null ? 1 : m.depth + 1, array });
        }
      }
    } else {
      this.walkObject(node, v as Record<string, unknown>, m);
    }
  }

  private leaf(node: PathNode, v: unknown, m: Membership | null): void {
    if (node.readers === 0) return;
    let first = false;
    if (node.stamp !== this.serial) {
      node.stamp = this.serial;
      node.count = 0;
      node.nested = false;
      first = true;
    }
    node.values[node.count] = v;
    node.memberships[node.count++] = m;
    if (m !== null) node.nested = true;
    if (node.probe !== null) node.probe.probe(v, first);
  }
}

/** Whether two leaves may be used together: they do not sit in different elements of one array. */
export function consistent(a: Membership | null, b: Membership | null): boolean {
  if (a === null || b === null || a === b) return true;
  let x = a;
  let y = b;
  while (x.depth > y.depth) x = x.parent!;
  while (y.depth > x.depth) y = y.parent!;
  if (x === y) return true;
  // Climb to where the chains part: two elements with the same parent context. Of one array, they conflict;
  // of two different arrays (siblings in one object), the leaves share no array at all.
  while (x.parent !== y.parent) {
    x = x.parent!;
    y = y.parent!;
  }
  return x.array !== y.array;
}
