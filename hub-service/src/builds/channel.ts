/**
 * A broadcast stream that remembers what it carried: every subscriber, early or late, gets every
 * item from the first, then the live ones, until the channel ends. Joins concurrent watchers of
 * one build or one launch.
 */
export class Channel<T> {
  private readonly items: T[] = [];
  private ended = false;
  private wake: Array<() => void> = [];

  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const waiting = this.wake;
    this.wake = [];
    waiting.forEach(resolve => resolve());
  }

  async *subscribe(): AsyncGenerator<T> {
    let next = 0;
    for (;;) {
      while (next < this.items.length) yield this.items[next++];
      if (this.ended) return;
      await new Promise<void>(resolve => this.wake.push(resolve));
    }
  }
}
