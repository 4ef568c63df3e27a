import type { CommuneFile } from '../../config/schema/commune.ts';
import { canSee } from '../device-types/registry.ts';
import { maintainsCameras } from '../inventory/camera-maintainers.ts';
import type { DeviceDirectory } from '../inventory/device-directory.ts';
import type { NotifyDispatcher } from '../notify/dispatcher.ts';
import { fitLength } from '../notify/message.ts';
import type { Message } from '../notify/notifier.ts';
import { type Locale, t } from '../shared/i18n/index.ts';
import type { Logger } from '../shared/logger.ts';
import type { Db } from '../store/db.ts';
import { localDay, localDayStart, minutesOf } from './windows/occurrences.ts';

const DAY_MS = 86_400_000;
type User = CommuneFile['users'][number];

export interface DigestCounts {
  readonly opened: number;
  readonly acknowledged: number;
  readonly resolved: number;
  /** Open at the end of the day. */
  readonly stillOpen: number;
}

export interface DigestSummary extends DigestCounts {
  /** The local day summarised, YYYY-MM-DD. */
  readonly day: string;
  readonly byHamlet: ReadonlyArray<DigestCounts & { readonly hamlet: string }>;
}

interface AlertTimes {
  deviceId: string;
  openedTs: number;
  ackedTs: number | null;
  resolvedTs: number | null;
}

/** Counts of one day's alerts, of the devices the user may see (pure over the rows given). */
export function summarise(
  rows: readonly AlertTimes[],
  hamletOf: (deviceId: string) => string,
  day: { fromTs: number; toTs: number; name: string },
): DigestSummary {
  const within = (ts: number | null) => ts !== null && ts >= day.fromTs && ts < day.toTs;
  const count = (rs: readonly AlertTimes[]): DigestCounts => ({
    opened: rs.filter((r) => within(r.openedTs)).length,
    acknowledged: rs.filter((r) => within(r.ackedTs)).length,
    resolved: rs.filter((r) => within(r.resolvedTs)).length,
    stillOpen: rs.filter((r) => r.openedTs < day.toTs && (r.resolvedTs === null || r.resolvedTs >= day.toTs))
      .length,
  });
  const hamlets = new Map<string, AlertTimes[]>();
  for (const r of rows) hamlets.set(hamletOf(r.deviceId), [...(hamlets.get(hamletOf(r.deviceId)) ?? []), r]);
  return {
    day: day.name,
    ...count(rows),
    byHamlet: [...hamlets]
      .map(([hamlet, rs]) => ({ hamlet, ...count(rs) }))
      .sort((a, b) => a.hamlet.localeCompare(b.hamlet, 'vi', { numeric: true })),
  };
}

export function renderDigest(s: DigestSummary, locale: Locale, publicBaseUrl?: string): Message {
  const [y, m, d] = s.day.split('-');
  const subject = t(locale, 'alert.digest.subject', { day: `${d}/${m}/${y}` });
  const lines = [
    subject,
    t(locale, 'alert.digest.totals', {
      opened: s.opened,
      acknowledged: s.acknowledged,
      resolved: s.resolved,
      stillOpen: s.stillOpen,
    }),
  ];
  if (s.opened + s.acknowledged + s.resolved + s.stillOpen === 0) lines.push(t(locale, 'alert.digest.none'));
  for (const h of s.byHamlet) lines.push(t(locale, 'alert.digest.hamlet', { ...h }));
  if (publicBaseUrl)
    lines.push(t(locale, 'alert.digest.link', { url: `${publicBaseUrl.replace(/\/$/, '')}/#/alerts` }));
  return {
    alertId: 0,
    event: 'digest',
    subject,
    text: lines.join('\n').normalize('NFC'),
    ackable: false,
    data: { kind: 'digest', ...s },
  };
}

/**
 * The daily digest (issue #14): at the commune's `alerts.digest.at` (Vietnam time) each named
 * user is queued one message about yesterday's alerts of the devices they may see, by the same
 * outbox as the alerts. The day is recorded with the rows in one transaction, so a restart, a
 * second tick or a late start sends it once, and a service down at 07:00 sends it when it is back.
 */
export class DailyDigest {
  constructor(
    private readonly deps: {
      db: Db;
      directory: DeviceDirectory;
      dispatcher: NotifyDispatcher;
      publicBaseUrl?: string | undefined;
      log: Logger;
    },
  ) {}

  tick(now: number): number {
    let queued = 0;
    for (const c of this.deps.directory.communes.values()) {
      const cfg = c.alerts.digest;
      if (!cfg) continue;
      const today = localDayStart(now);
      if (now < today + minutesOf(cfg.at) * 60_000) continue;
      const day = { fromTs: today - DAY_MS, toTs: today, name: localDay(today - DAY_MS) };
      for (const u of this.recipients(c, cfg)) queued += this.queueFor(c, u, day, now);
    }
    return queued;
  }

  private recipients(c: CommuneFile, cfg: NonNullable<CommuneFile['alerts']['digest']>): User[] {
    const named = cfg.users !== undefined || cfg.roles !== undefined;
    return c.users.filter(
      (u) => u.contact && (!named || cfg.users?.includes(u.username) || cfg.roles?.includes(u.role)),
    );
  }

  private queueFor(
    c: CommuneFile,
    u: User,
    day: { fromTs: number; toTs: number; name: string },
    now: number,
  ) {
    const { db, directory, dispatcher } = this.deps;
    return db.transaction(() => {
      const fresh = db
        .prepare(
          'INSERT OR IGNORE INTO alert_digests (commune_id, username, day, queued_ts) VALUES (?, ?, ?, ?)',
        )
        .run(c.commune.id, u.username, day.name, now).changes;
      if (fresh === 0) return 0;
      const maintainer = maintainsCameras(c, u);
      const rows = (
        db
          .prepare(
            `SELECT device_id AS deviceId, opened_ts AS openedTs, acked_ts AS ackedTs, resolved_ts AS resolvedTs
             FROM alerts WHERE commune_id = ? AND opened_ts < ? AND (resolved_ts IS NULL OR resolved_ts >= ?)`,
          )
          .all(c.commune.id, day.toTs, day.fromTs) as AlertTimes[]
      ).filter((r) => {
        const kind = directory.get(r.deviceId)?.type.kind;
        return kind !== undefined && (canSee(u.role, kind) || (kind === 'camera' && maintainer));
      });
      const hamletName = (id: string) => {
        const h = directory.get(id)?.hamletId;
        return c.hamlets.find((x) => x.id === h)?.name ?? h ?? '';
      };
      const message = renderDigest(summarise(rows, hamletName, day), u.locale, this.deps.publicBaseUrl);
      let n = 0;
      for (const { entry, kind, instance } of dispatcher.entries()) {
        if (kind.contactField === null || (entry.communes && !entry.communes.includes(c.commune.id)))
          continue;
        // A notifier limited to some events or severities (Zalo: paid, critical alerts only) is
        // asked like for any alert; a digest is information.
        if (
          instance.accepts &&
          !instance.accepts({ severity: 'info', event: 'digest', deviceType: 'digest' })
        )
          continue;
        const address = u.contact?.[kind.contactField];
        if (!address) continue;
        const text = fitLength(message.text, kind.maxLength);
        dispatcher.outbox.enqueue({
          notifier: entry.name,
          alertId: 0,
          event: 'digest',
          username: u.username,
          address,
          message: { ...message, text },
          now,
        });
        n++;
      }
      this.deps.log.info({ username: u.username, day: day.name, queued: n }, 'daily digest queued');
      return n;
    })();
  }
}
