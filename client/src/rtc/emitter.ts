// A small typed event emitter; a throwing listener is reported and never stops the others.
export class Emitter<E extends Record<string, unknown[]>> {
  private readonly listeners = new Map<keyof E, Set<(...args: never[]) => void>>();

  on<K extends keyof E>(event: K, fn: (...args: E[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const f = fn as unknown as (...args: never[]) => void;
    set.add(f);
    return () => set.delete(f);
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const fn of [...set]) {
      try {
        (fn as unknown as (...a: E[K]) => void)(...args);
      } catch (error) {
        console.error(`listener of ${String(event)} failed`, error);
      }
    }
  }

  protected removeAllListeners(): void {
    this.listeners.clear();
  }
}
