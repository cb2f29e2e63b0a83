// A FIFO with O(1) shift (Array#shift is O(n) on a long array): a producer's buffer of items
// waiting for room in the ring can hold hundreds of thousands.
export class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }
  push(v: T): void {
    this.#items.push(v);
  }
  peek(): T {
    return this.#items[this.#head];
  }
  shift(): T {
    const v = this.#items[this.#head];
    this.#items[this.#head++] = undefined as T;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return v;
  }
  /** Puts items back at the front, in their order. */
  unshiftAll(items: T[]): void {
    if (!items.length) return;
    this.#items = [...items, ...this.#items.slice(this.#head)];
    this.#head = 0;
  }
  toArray(): T[] {
    return this.#items.slice(this.#head);
  }
}
