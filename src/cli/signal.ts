// A wake-up between the CLI's reading loop and its writing loop: notify() wakes whoever is in
// wait(), or the next call to wait() if nobody is waiting yet (no wake-up is lost).
export class Wakeup {
  #pending = false;
  #resolve: (() => void) | null = null;

  notify(): void {
    if (this.#resolve) {
      const r = this.#resolve;
      this.#resolve = null;
      r();
    } else this.#pending = true;
  }

  wait(): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((r) => (this.#resolve = r));
  }
}
