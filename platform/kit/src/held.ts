// What a role opened (database, bus, subscriptions, its service), released in reverse order of opening:
// everything opened so far when its start fails halfway, everything at stop. One place for the
// "close what was opened, newest first, once" that every role needs.

type Release = () => Promise<void> | void;

export class Held {
  private readonly releases: Release[] = [];
  private released: Promise<void> | undefined;

  /** Keeps `resource` until `releaseAll`, which calls `release(resource)`; returns the resource. */
  add<T>(resource: T, release: (resource: T) => Promise<void> | void): T {
    if (this.released !== undefined) throw new Error('Held: add after releaseAll');
    this.releases.push(() => release(resource));
    return resource;
  }

  /**
   * Runs a role's start; when it throws, releases what it had opened (newest first) and throws the start's
   * error, not a release failure.
   */
  async during<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (err) {
      await this.releaseAll().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Releases everything, newest first, once (later calls share the first one's outcome). Every release
   * runs even when an earlier one fails; the first failure is thrown at the end.
   */
  releaseAll(): Promise<void> {
    this.released ??= (async () => {
      let failure: { error: unknown } | undefined;
      for (const release of this.releases.splice(0).reverse()) {
        try {
          await release();
        } catch (error) {
          failure ??= { error };
        }
      }
      if (failure !== undefined) throw failure.error;
    })();
    return this.released;
  }
}
