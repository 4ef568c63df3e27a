import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../../../config/load.ts';
import type { AvailabilityEngine } from '../../availability/engine.ts';
import type { EventBus } from '../../shared/bus.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Db } from '../../store/db.ts';
import type { Store } from '../../store/store.ts';
import type { RejectLog } from '../reject-log.ts';
import { type LeasePlan, ShardLeases } from './lease.ts';
import { Shard } from './shard.ts';

export interface ExternalSourceDeps {
  readonly config: Config;
  readonly db: Db;
  readonly store: Store;
  readonly rejects: RejectLog;
  readonly bus: EventBus;
  readonly clock: () => number;
  readonly log: Logger;
  /** See IngestDeps.onStored. */
  readonly onStored?: (minTs: number) => void;
}

/**
 * Ingest from an external MQTT v5 broker, shared by several worker processes. Each commune is a
 * shard; this worker holds some of them through leases (lease.ts) and runs one Shard per held
 * commune. Every ttl/3 a round renews, takes and gives back shards; a lease lost to another
 * worker stops that shard at once (no release, no further writes).
 */
export class ExternalSource {
  readonly workerId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly d: ExternalSourceDeps;
  private readonly log: Logger;
  /** For the shards: workerId without this module's `mod`. */
  private readonly shardLog: Logger;
  private readonly leases: ShardLeases;
  private readonly shards = new Map<string, Shard>();
  private readonly communeOf = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  /** Our leases are good until this instant (last successful round + ttl). */
  private validUntilTs = 0;
  private stopped = false;
  /** Shards let go after a lost lease, still writing out their spool. */
  private readonly dropping = new Set<Promise<void>>();

  constructor(d: ExternalSourceDeps) {
    this.d = d;
    this.shardLog = d.log.child({ workerId: this.workerId });
    this.log = this.shardLog.child({ mod: 'external-source' });
    this.leases = new ShardLeases({
      db: d.db,
      workerId: this.workerId,
      host: hostname(),
      pid: process.pid,
      shards: d.config.communes.map((c) => c.commune.id),
      ttlMs: this.ttlMs(),
      clock: d.clock,
    });
    for (const c of d.config.communes) for (const dev of c.devices) this.communeOf.set(dev.id, c.commune.id);
  }

  /** Announces the worker; the first round comes after ttl/3, so peers starting alongside are counted. */
  start(): void {
    this.leases.join();
    this.timer = setInterval(() => void this.tick(), Math.max(100, Math.floor(this.ttlMs() / 3)));
    this.log.info(
      { communes: this.d.config.communes.length, url: this.d.config.service.ingest.external!.url },
      'ingest worker joined',
    );
  }

  /** Stops every shard cleanly and gives its lease back, so a peer takes over without waiting. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (this.round) await this.round;
    for (const id of [...this.shards.keys()]) await this.handBack(id);
    await Promise.all(this.dropping);
    this.leases.leave();
    this.log.info('ingest worker left');
  }

  /** The engine of the shard holding this device, if this worker holds it. */
  engineFor(deviceId: string): AvailabilityEngine | undefined {
    const commune = this.communeOf.get(deviceId);
    return commune === undefined ? undefined : this.shards.get(commune)?.engine;
  }

  held(): string[] {
    return [...this.shards.keys()].sort();
  }

  heldShards(): Shard[] {
    return [...this.shards.values()];
  }

  /** Runs one lease round now (tests, and the timer). Rounds never overlap. */
  async tick(): Promise<void> {
    if (this.round || this.stopped) return this.round ?? undefined;
    this.round = this.runRound().finally(() => (this.round = null));
    return this.round;
  }

  private async runRound(): Promise<void> {
    let plan: LeasePlan;
    try {
      plan = this.leases.tick(new Set(this.shards.keys()));
      this.validUntilTs = this.d.clock() + this.ttlMs();
    } catch (err) {
      this.log.warn({ err }, 'lease round failed');
      // Past the point where a peer may take our leases, act as if it had.
      if (this.d.clock() >= this.validUntilTs - this.ttlMs() / 3)
        for (const id of [...this.shards.keys()]) this.drop(id, 'lease-unrenewable');
      return;
    }
    for (const id of plan.lost) this.drop(id, 'lease-lost');
    for (const id of plan.take) this.take(id);
    for (const id of plan.release) await this.handBack(id);
    if (plan.take.length || plan.lost.length || plan.release.length)
      this.log.info({ held: this.held(), liveWorkers: plan.liveWorkers }, 'shards now held');
  }

  private take(communeId: string): void {
    const shard: Shard = new Shard({
      communeId,
      config: this.d.config,
      db: this.d.db,
      store: this.d.store,
      rejects: this.d.rejects,
      bus: this.d.bus,
      clock: this.d.clock,
      log: this.shardLog,
      ...(this.d.onStored ? { onStored: this.d.onStored } : {}),
      holds: (): boolean => this.shards.get(communeId) === shard && this.leases.holds(communeId),
      onFenced: () => this.drop(communeId, 'fenced'),
    });
    this.shards.set(communeId, shard);
    try {
      shard.start();
      this.log.info({ communeId }, 'shard taken');
    } catch (err) {
      this.log.error({ err, communeId }, 'shard failed to start; giving it back');
      void this.handBack(communeId);
    }
  }

  /** Clean stop, then the lease goes back. */
  private async handBack(communeId: string): Promise<void> {
    const shard = this.shards.get(communeId);
    if (!shard) return;
    try {
      await shard.stop();
    } catch (err) {
      this.log.error({ err, communeId }, 'shard stop failed');
    }
    this.shards.delete(communeId);
    this.leases.release(communeId);
    this.log.info({ communeId }, 'shard released');
  }

  /**
   * The lease is no longer ours: forget the shard first, so its fence refuses every state write
   * from now on (the new holder closes our intervals at our last alive mark), then stop it.
   */
  private drop(communeId: string, reason: string): void {
    const shard = this.shards.get(communeId);
    if (!shard) return;
    this.shards.delete(communeId);
    this.log.warn({ communeId, reason }, 'shard dropped');
    const done = shard
      .stop()
      .catch((err: unknown) => this.log.error({ err, communeId }, 'shard stop failed'))
      .finally(() => this.dropping.delete(done));
    this.dropping.add(done);
  }

  private ttlMs(): number {
    return this.d.config.service.ingest.external!.leaseTtlMs;
  }
}
