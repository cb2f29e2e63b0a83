// SharedMemoryManager (Python's multiprocessing.managers.SharedMemoryManager): SharedMemory
// and ShareableList made through it are created here, their names recorded by a tracker
// object in the manager's server, and unlinked when the manager shuts down (or when its owner
// exits and takes the server with it).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProcessError } from '../errors.js';
import { SharedMemory } from '../shared/shared-memory.js';
import { ShareableList, type ShareableItem } from '../shared/shareable-list.js';
import { esmDir } from '../util/here.js';
import { BaseManager } from './manager.js';
import type { BaseProxy } from './proxy.js';

type Tracker = BaseProxy & { track(name: string): Promise<void> };
let registered = false;

export class SharedMemoryManager extends BaseManager {
  #tracker: Tracker | null = null;

  override async start(...args: Parameters<BaseManager['start']>): Promise<this> {
    if (!registered) {
      // Registered on first start (the tracker's module is the built server entry).
      SharedMemoryManager.register('SharedMemoryTracker', { module: pathToFileURL(join(esmDir, 'managers', 'main.js')).href, name: 'SharedMemoryTracker' }, { createMethod: false });
      registered = true;
    }
    await super.start(...args);
    this.#tracker = await this.create<Tracker>('SharedMemoryTracker');
    return this;
  }

  private tracker(what: string): Tracker {
    if (!this.#tracker) throw new ProcessError(`SharedMemoryManager.${what}(): the manager is not started`);
    return this.#tracker;
  }

  /** A new segment of `size` bytes, unlinked when this manager shuts down. */
  async SharedMemory(size: number): Promise<SharedMemory> {
    const t = this.tracker('SharedMemory');
    const shm = new SharedMemory({ create: true, size });
    await t.track(shm.name);
    return shm;
  }

  /** A new ShareableList of `sequence`, unlinked when this manager shuts down. */
  async ShareableList(sequence?: Iterable<ShareableItem> | null): Promise<ShareableList> {
    const t = this.tracker('ShareableList');
    const sl = new ShareableList(sequence ?? null);
    await t.track(sl.shm.name);
    return sl;
  }
}
