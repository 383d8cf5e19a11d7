import { EventEmitter } from 'node:events';

type Listener = (productIds: readonly number[]) => void;

/**
 * Tells this process's event streams at once that appliances have something new. Only a
 * shortcut: streams also read the database every few seconds, so that a deployment made by
 * another process (the CLI, another console) reaches them too.
 */
export class PatternBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  notify(productIds: readonly number[]): void {
    if (productIds.length > 0) this.emitter.emit('notify', productIds);
  }

  subscribe(listener: Listener): () => void {
    this.emitter.on('notify', listener);
    return () => this.emitter.off('notify', listener);
  }
}
