import { EventEmitter } from 'node:events';
import type { StateChange } from '../availability/states.ts';

export interface HeardNotice {
  readonly deviceId: string;
  readonly communeId: string;
  readonly ts: number;
}

/** In-process fan-out of live changes to the dashboard stream (and later alerts and the IOC feed). */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every open dashboard holds one listener; a commune office may have dozens of tabs.
    this.emitter.setMaxListeners(0);
  }

  emitState(change: StateChange): void {
    this.emitter.emit('state', change);
  }

  emitHeard(notices: readonly HeardNotice[]): void {
    if (notices.length > 0) this.emitter.emit('heard', notices);
  }

  onState(fn: (c: StateChange) => void): () => void {
    this.emitter.on('state', fn);
    return () => this.emitter.off('state', fn);
  }

  onHeard(fn: (n: readonly HeardNotice[]) => void): () => void {
    this.emitter.on('heard', fn);
    return () => this.emitter.off('heard', fn);
  }
}
