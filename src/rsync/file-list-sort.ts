/**
 * The order of a file list, exactly as rsync's receiver builds it (flist.c: f_name_cmp, fsort,
 * flist_sort_and_clean). Both sides sort the list they exchanged and then name files by their
 * position in it, so any difference here makes the server ask for the wrong file.
 */

/** A name as the sort sees it. `active` turns false when the entry is dropped as a duplicate. */
export interface SortItem {
  dirname: Buffer | null;
  basename: Buffer;
  directory: boolean;
  active: boolean;
}

const SLASH = Buffer.from('/');
const NOTHING = Buffer.alloc(0);
const DOT = 0x2e;

type Stage = 'dir' | 'slash' | 'base' | 'trailing';

/**
 * Walks one name as the byte sequence rsync compares: dirname, `/`, basename, and from
 * protocol 29 a `/` after a directory's basename. Segments of directories are "path-like" and
 * sort after the plain items beside them; a directory called `.` counts as nothing at all.
 * Two cursors serve every comparison, so sorting allocates nothing per comparison.
 */
class NameCursor {
  private item: SortItem = { dirname: null, basename: NOTHING, directory: false, active: true };
  private directoriesLast = true;
  private stage: Stage = 'dir';
  bytes: Buffer = NOTHING;
  at = 0;
  pathLike = false;

  start(item: SortItem, directoriesLast: boolean): void {
    this.item = item;
    this.directoriesLast = directoriesLast;
    if (item.dirname === null) this.enterBase();
    else this.enter('dir', item.dirname, directoriesLast);
  }

  get done(): boolean {
    return this.at >= this.bytes.length;
  }

  get byte(): number {
    return this.at < this.bytes.length ? (this.bytes[this.at] as number) : 0;
  }

  /** Moves past a used-up segment; true once the name has nothing more to compare. */
  advance(): boolean {
    switch (this.stage) {
      case 'dir':
        this.enter('slash', SLASH, this.pathLike);
        return false;
      case 'slash':
        this.enterBase();
        return false;
      case 'base':
        if (this.pathLike) {
          this.enter('trailing', SLASH, true);
          return false;
        }
        this.enter('trailing', NOTHING, false);
        return true;
      case 'trailing':
        this.pathLike = false;
        return true;
    }
  }

  private enterBase(): void {
    const pathLike = this.item.directory && this.directoriesLast;
    const { basename } = this.item;
    if (pathLike && basename.length === 1 && basename[0] === DOT) {
      this.enter('trailing', NOTHING, false);
    } else {
      this.enter('base', basename, pathLike);
    }
  }

  private enter(stage: Stage, bytes: Buffer, pathLike: boolean): void {
    this.stage = stage;
    this.bytes = bytes;
    this.at = 0;
    this.pathLike = pathLike;
  }
}

const one = new NameCursor();
const two = new NameCursor();
const pathLast = (): number => (one.pathLike ? 1 : -1);

/**
 * rsync's name comparison. Protocol 29 changed it: directories sort after the files beside
 * them and just before their own contents, and `.` before everything. Dropped entries sort
 * first. Where rsync would read past the end of both names (two spellings of one directory,
 * such as `a/` against `a/.`), they compare equal.
 */
export function compareNames(first: SortItem, second: SortItem, protocol: number): number {
  if (!first.active) return second.active ? -1 : 0;
  if (!second.active) return 1;
  one.start(first, protocol >= 29);
  two.start(second, protocol >= 29);
  if (one.pathLike !== two.pathLike) return pathLast();
  for (;;) {
    if (one.done) {
      one.advance();
      if (!two.done && one.pathLike !== two.pathLike) return pathLast();
    }
    if (two.done) {
      if (two.advance() && one.done) return 0;
      if (one.pathLike !== two.pathLike) return pathLast();
    }
    const difference = one.byte - two.byte;
    if (difference !== 0 || one.done) return difference;
    one.at++;
    two.at++;
  }
}

type Compare<T> = (first: T, second: T) => number;

/**
 * rsync's own merge sort, step for step: a hostile list can make the comparison inconsistent,
 * and then only the same sequence of comparisons gives the same order.
 */
function mergeSort<T>(items: T[], start: number, count: number, spare: T[], compare: Compare<T>) {
  let leftCount = Math.floor(count / 2);
  let rightCount = count - leftCount;
  let left = start;
  let right = start + leftCount;
  if (leftCount > 1) mergeSort(items, left, leftCount, spare, compare);
  if (rightCount > 1) mergeSort(items, right, rightCount, spare, compare);
  const at = (index: number): T => items[index] as T;

  while (compare(at(left), at(right)) <= 0) {
    if (--leftCount === 0) return;
    left++;
  }
  for (let index = 0; index < leftCount; index++) spare[index] = at(left + index);
  let taken = 0;
  let out = left;
  items[out++] = at(right++);
  rightCount--;
  while (leftCount > 0 && rightCount > 0) {
    if (compare(spare[taken] as T, at(right)) <= 0) {
      items[out++] = spare[taken++] as T;
      leftCount--;
    } else {
      items[out++] = at(right++);
      rightCount--;
    }
  }
  while (leftCount-- > 0) items[out++] = spare[taken++] as T;
}

/** Sorts in place, in rsync's order. */
export function sortNames(items: SortItem[], protocol: number): void {
  if (items.length <= 1) return;
  const spare = new Array<SortItem>(Math.ceil(items.length / 2));
  mergeSort(items, 0, items.length, spare, (first, second) =>
    compareNames(first, second, protocol),
  );
}

/**
 * Finds the nearest entry still in the list on either side of a position. Dropped entries are
 * skipped with path-compressed links, so long runs of drops cost little.
 */
class LiveEntries {
  private readonly next: Int32Array;
  private readonly previous: Int32Array;

  constructor(items: readonly SortItem[]) {
    const count = items.length;
    this.next = new Int32Array(count + 1).map((_, index) => index);
    this.previous = new Int32Array(count + 1).map((_, index) => index);
    items.forEach((item, index) => {
      if (!item.active) this.drop(index);
    });
  }

  drop(index: number): void {
    this.next[index] = index + 1;
    // Slot 0 of `previous` stands for "before the list": positions are shifted by one.
    this.previous[index + 1] = index;
  }

  /** The first live position at or after `index` (the list length if none). */
  atOrAfter(index: number): number {
    return follow(this.next, index);
  }

  /** The last live position before `index` (-1 if none). */
  before(index: number): number {
    return follow(this.previous, index) - 1;
  }
}

function follow(links: Int32Array, start: number): number {
  let index = start;
  while (links[index] !== index) {
    const hop = links[index] as number;
    links[index] = links[hop] as number;
    index = hop;
  }
  return index;
}

/**
 * rsync's flist_find for the clean-up pass: binary search between `low` and `high` for an
 * entry named like `key`, stepping over dropped entries the way rsync does.
 */
function findEarlier(
  items: readonly SortItem[],
  live: LiveEntries,
  key: SortItem,
  bounds: { low: number; high: number },
  protocol: number,
): number {
  let { low, high } = bounds;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const probe = live.atOrAfter(middle);
    if (probe > high) {
      high = live.before(middle);
      continue;
    }
    const difference = compareNames(items[probe] as SortItem, key, protocol);
    if (difference === 0) return probe;
    if (difference < 0) low = probe + 1;
    else high = middle - 1;
  }
  return -1;
}

/**
 * rsync's receiver-side clean-up of a sorted list: of two entries with one name the first is
 * kept, except that a directory wins over a non-directory (it may have contents in the list).
 * From protocol 29 a directory also drops an earlier non-directory of its name that is not
 * next to it. Dropped entries keep their position, so later positions do not move.
 */
export function dropDuplicates(items: readonly SortItem[], protocol: number): void {
  const live = new LiveEntries(items);
  let low = live.atOrAfter(0);
  let previous = low;
  for (let index = low + 1; index < items.length; index++) {
    const item = items[index] as SortItem;
    if (!item.active) continue;
    let twin = -1;
    if (compareNames(item, items[previous] as SortItem, protocol) === 0) twin = previous;
    else if (protocol >= 29 && item.directory) {
      const asFile = { ...item, directory: false };
      twin = findEarlier(items, live, asFile, { low, high: previous }, protocol);
    }
    if (twin < 0) {
      previous = index;
      continue;
    }
    const keepThis = item.directory && !(items[twin] as SortItem).directory;
    const drop = keepThis ? twin : index;
    (items[drop] as SortItem).active = false;
    live.drop(drop);
    if (keepThis) {
      if (low === drop) low = Math.min(live.atOrAfter(drop + 1), index);
      previous = index;
    }
  }
}
