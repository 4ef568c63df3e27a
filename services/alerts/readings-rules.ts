import type { Config } from '../../config/load.ts';
import type { DeviceDirectory } from '../inventory/device-directory.ts';
import type { Logger } from '../shared/logger.ts';
import { plotsOf } from '../soil/plots.ts';
import type { Db } from '../store/db.ts';
import type { Store } from '../store/store.ts';
import { deviceFacts } from './announce.ts';
import { inScope } from './conditions.ts';
import { ruleKinds } from './rule-kinds/registry.ts';
import type { DeviceFacts, MetricEpisode, ReadingsContext } from './rule-kinds/rule-kind.ts';

/** A bound on one device's readings per query: a day of a sensor every minute, and then some. */
const MAX_ROWS = 50_000;

/**
 * The findings of the readings rule kinds (metric-threshold, plot-dry, plot-wet), for the engine's
 * synchronous ticks: each refresh asks every such rule of every commune which devices are out of
 * bounds now and since when, from the stored readings, so nothing here has to survive a restart.
 * A rule whose store read fails keeps its previous findings (an unreachable InfluxDB must not
 * resolve every alert), and is logged.
 */
export class ReadingsRules {
  private episodes = new Map<string, MetricEpisode>();
  private running = false;
  /** False until the first refresh has finished: until then open alerts of these kinds stand. */
  ready = false;

  constructor(
    private readonly deps: {
      readonly config: Config;
      readonly directory: DeviceDirectory;
      readonly db: Db;
      readonly store?: Store | undefined;
      readonly clock: () => number;
      readonly log: Logger;
    },
  ) {}

  episode(ruleId: string, deviceId: string): MetricEpisode | undefined {
    return this.episodes.get(`${ruleId}|${deviceId}`);
  }

  /** False when a refresh was already running (its end ticks the engine, not this call). */
  async refresh(): Promise<boolean> {
    if (this.running) return false;
    this.running = true;
    try {
      const next = new Map<string, MetricEpisode>();
      for (const c of this.deps.directory.communes.values())
        for (const rule of c.alerts.rules) {
          const kind = ruleKinds.get(rule.kind);
          if (!kind?.evaluate) continue;
          try {
            const found = this.deps.store
              ? await kind.evaluate(rule, this.context(c.commune.id, rule))
              : new Map();
            for (const [deviceId, e] of found) next.set(`${rule.id}|${deviceId}`, e);
          } catch (err) {
            this.deps.log.warn(
              { err, ruleId: rule.id, communeId: c.commune.id },
              'readings rule not evaluated',
            );
            for (const [key, e] of this.episodes) if (key.startsWith(`${rule.id}|`)) next.set(key, e);
          }
        }
      this.episodes = next;
      this.ready = true;
      return true;
    } finally {
      this.running = false;
    }
  }

  private context(communeId: string, scope: Parameters<typeof inScope>[0]): ReadingsContext {
    const { directory, db, store } = this.deps;
    const devices = [...directory.all()]
      .filter((d) => d.communeId === communeId)
      .map((d) => deviceFacts(directory, d.id)!)
      .filter((d: DeviceFacts) => inScope(scope, d));
    return {
      communeId,
      now: this.deps.clock(),
      devices,
      readings: (deviceId, metric, fromTs, toTs) =>
        store!.query({ communeId, deviceId, metric, fromTs, toTs, limit: MAX_ROWS }),
      plots: () =>
        plotsOf({ directory, db }, [communeId]).map((p) => ({
          communeId,
          siteId: p.siteId,
          name: p.name,
          dryBelowPct: p.dryBelowPct,
          wetAbovePct: p.wetAbovePct,
          sensorIds: p.sensors.map((d) => d.id),
        })),
    };
  }
}
