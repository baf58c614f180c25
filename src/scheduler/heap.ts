/**
 * A binary heap of keyed items (upstream internal/heap): pop the least by `less`,
 * and update or delete any item by key in O(log n).
 */
export class KeyedHeap<T> {
  readonly #items: T[] = [];
  readonly #positions = new Map<string, number>();

  constructor(
    readonly keyOf: (item: T) => string,
    readonly less: (a: T, b: T) => boolean,
  ) {}

  get size(): number {
    return this.#items.length;
  }

  has(key: string): boolean {
    return this.#positions.has(key);
  }

  get(key: string): T | undefined {
    const at = this.#positions.get(key);
    return at === undefined ? undefined : this.#items[at];
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds, or replaces the item with the same key (and restores order). */
  add(item: T): void {
    const key = this.keyOf(item);
    const at = this.#positions.get(key);
    if (at !== undefined) {
      this.#items[at] = item;
      this.#fix(at);
      return;
    }
    this.#items.push(item);
    this.#positions.set(key, this.#items.length - 1);
    this.#up(this.#items.length - 1);
  }

  pop(): T | undefined {
    if (this.#items.length === 0) return undefined;
    const top = this.#items[0] as T;
    this.#removeAt(0);
    return top;
  }

  delete(key: string): T | undefined {
    const at = this.#positions.get(key);
    if (at === undefined) return undefined;
    const item = this.#items[at] as T;
    this.#removeAt(at);
    return item;
  }

  list(): T[] {
    return [...this.#items];
  }

  #removeAt(at: number): void {
    const last = this.#items.length - 1;
    const removed = this.#items[at] as T;
    this.#positions.delete(this.keyOf(removed));
    if (at !== last) {
      const moved = this.#items[last] as T;
      this.#items[at] = moved;
      this.#positions.set(this.keyOf(moved), at);
    }
    this.#items.pop();
    if (at < this.#items.length) this.#fix(at);
  }

  #fix(at: number): void {
    if (!this.#up(at)) this.#down(at);
  }

  #up(at: number): boolean {
    let i = at;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.#items[i] as T, this.#items[parent] as T)) break;
      this.#swap(i, parent);
      i = parent;
    }
    return i !== at;
  }

  #down(at: number): void {
    let i = at;
    const n = this.#items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      let least = left;
      if (right < n && this.less(this.#items[right] as T, this.#items[left] as T)) least = right;
      if (!this.less(this.#items[least] as T, this.#items[i] as T)) return;
      this.#swap(i, least);
      i = least;
    }
  }

  #swap(a: number, b: number): void {
    const items = this.#items;
    const x = items[a] as T;
    const y = items[b] as T;
    items[a] = y;
    items[b] = x;
    this.#positions.set(this.keyOf(y), a);
    this.#positions.set(this.keyOf(x), b);
  }
}
