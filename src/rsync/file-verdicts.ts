import type { SortedEntry, Verdict } from './file-list.js';
import { checkName, foldName } from './file-names.js';

/**
 * The verdict on each entry of a sorted list: which regular files and directories this server
 * creates, and why it creates nothing for the others.
 */

type NodeState = 'directory' | 'file' | 'implied' | 'withheld';

interface PathNode {
  component: string;
  parent: PathNode | null;
  state: NodeState;
  /** Children by their exact component. */
  children: Map<string, PathNode> | null;
  /** Children that exist or will exist in the area, by folded component. */
  folded: Map<string, PathNode> | null;
}

const pathOf = (node: PathNode): string =>
  node.parent === null || node.parent.parent === null
    ? node.component
    : `${pathOf(node.parent)}/${node.component}`;

/**
 * The paths accepted so far, as a tree of components so that memory grows with the names and
 * not with their depth. A path is refused when a case-insensitive store would merge it with an
 * accepted one, or when it lies inside something that is not a created directory: a file, or
 * an entry that was skipped or refused (its contents must not appear through the back door of
 * implied parents).
 */
export class NameRegistry {
  private readonly root: PathNode = {
    component: '',
    parent: null,
    state: 'directory',
    children: null,
    folded: null,
  };

  /** Why `path` may not be created after what was accepted before; null when it may. */
  conflict(path: string, directory: boolean): string | null {
    const components = path.split('/');
    let node = this.root;
    for (const [depth, component] of components.entries()) {
      const child = node.children?.get(component);
      const twin = node.folded?.get(foldName(component));
      if (twin !== undefined && twin !== child) {
        const own = components.slice(0, depth + 1).join('/');
        return `${own} differs only in case from ${pathOf(twin)}`;
      }
      if (child === undefined) return null;
      if (depth === components.length - 1) {
        return child.state === 'implied' && directory ? null : 'an earlier entry has this name';
      }
      if (child.state === 'withheld') {
        return `it lies inside ${pathOf(child)}, which is not created`;
      }
      if (child.state === 'file') return `it lies inside ${pathOf(child)}, which is a file`;
      node = child;
    }
    return null;
  }

  accept(path: string, directory: boolean): void {
    const leaf = this.walk(path, true);
    leaf.state = directory ? 'directory' : 'file';
  }

  /** Records a path that is not created, so nothing is created beneath it. */
  withhold(path: string): void {
    const leaf = this.walk(path, false);
    if (leaf.state === 'implied' && !this.isRegistered(leaf)) leaf.state = 'withheld';
  }

  private isRegistered(node: PathNode): boolean {
    return node.parent?.folded?.get(foldName(node.component)) === node;
  }

  private walk(path: string, register: boolean): PathNode {
    let node = this.root;
    for (const component of path.split('/')) {
      node.children ??= new Map();
      let child = node.children.get(component);
      if (child === undefined) {
        child = { component, parent: node, state: 'implied', children: null, folded: null };
        node.children.set(component, child);
      }
      if (register) {
        node.folded ??= new Map();
        const key = foldName(component);
        if (!node.folded.has(key)) node.folded.set(key, child);
      }
      node = child;
    }
    return node;
  }
}

/** Why an entry with a safe name is still not created, or null. */
function skipReason(entry: SortedEntry, entries: readonly SortedEntry[]): string | null {
  switch (entry.type) {
    case 'symlink':
      return 'symbolic links are not stored';
    case 'device':
      return 'devices are not stored';
    case 'special':
      return 'FIFOs and sockets are not stored';
    case 'regular':
    case 'directory':
      break;
  }
  if (entry.mode & 0o7000) return 'set-user-ID, set-group-ID and sticky entries are not stored';
  if (entry.hardLink !== null && entry.hardLink.leaderIndex !== entry.index) {
    const leader = entries[entry.hardLink.leaderIndex] as SortedEntry;
    return `it is a hard link to ${leader.name}, which is stored instead`;
  }
  return null;
}

/**
 * The verdict on each entry of a sorted list, in order: later entries are judged against the
 * names accepted before them.
 */
export function classifyEntries(entries: readonly SortedEntry[]): Verdict[] {
  const registry = new NameRegistry();
  return entries.map((entry) => classifyEntry(entry, entries, registry));
}

function classifyEntry(
  entry: SortedEntry,
  entries: readonly SortedEntry[],
  registry: NameRegistry,
): Verdict {
  if (entry.duplicate) return { action: 'skipped', reason: 'another entry has the same name' };
  const checked = checkName(entry.nameBytes);
  if (!checked.ok) return { action: 'refused', reason: checked.reason };
  const { path } = checked;
  const directory = entry.type === 'directory';
  if (path === '.') {
    return directory
      ? { action: 'directory', path }
      : { action: 'refused', reason: 'the destination itself is not a directory' };
  }
  const skip = skipReason(entry, entries);
  if (skip !== null) {
    registry.withhold(path);
    return { action: 'skipped', reason: skip };
  }
  const conflict = registry.conflict(path, directory);
  if (conflict !== null) {
    registry.withhold(path);
    return { action: 'refused', reason: conflict };
  }
  registry.accept(path, directory);
  return { action: directory ? 'directory' : 'file', path };
}
