import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDb } from '../../../services/store/db.ts';
import { waitFor } from '../../setup/helpers.ts';
import { ZaloStandIn } from '../../standins/zalo.ts';
import { alertSetup } from '../alerts/fixture.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('zalo access-token refresh', () => {
  // A stand-in per test: its refresh-token chain starts again at zalo-refresh-0-TEST.
  let api = new ZaloStandIn();
  let url = '';
  let dir = '';
  beforeEach(async () => {
    api = new ZaloStandIn();
    url = await api.start();
  });
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
    await api.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  /** The engine and dispatcher with one Zalo notifier on refreshed tokens, over a database file. */
  function rig(db: Db, now?: number) {
    const s = alertSetup({
      db,
      ...(now !== undefined ? { now } : {}),
      alerts: {
        retryBaseMs: 20,
        retryMaxMs: 200,
        hamletGroupSec: 0,
        notifiers: [
          {
            name: 'zns',
            kind: 'zalo',
            ratePerMin: 6000,
            config: {
              apiUrl: url,
              templateId: '1',
              severities: ['critical', 'warning'],
              oauth: {
                url: `${url}/v4/oa/access_token`,
                appId: api.appId,
                secretKeyRef: 'zalo-app-secret',
                refreshTokenRef: 'zalo-refresh',
              },
            },
          },
        ],
      },
      // The first refresh token the operator was given; the stand-in has rotated it since.
      secrets: { 'zalo-app-secret': api.secretKey, 'zalo-refresh': 'zalo-refresh-0-TEST' },
    });
    s.alerting.dispatcher.start();
    stops.push(() => s.alerting.dispatcher.stop());
    const zns = () => s.alerting.dispatcher.status()[0]!;
    /** Moves the clock a second per look (backoff, rate spacing) until `probe` holds. */
    const until = (probe: () => boolean, what: string) =>
      waitFor(
        () => {
          s.advance(1000);
          return probe();
        },
        what,
        30_000,
      ).catch((err: Error) => {
        // What the lane and the stand-in saw, for a failure on a busy box.
        const seen = {
          zns: zns(),
          refreshes: api.refreshes,
          refused: api.refusedRefreshes,
          tokenRefusals: api.tokenRefusals,
        };
        throw new Error(`${err.message}; ${JSON.stringify(seen)}`);
      });
    return { s, zns, until };
  }

  const trackingIds = () => api.sent.map((m) => m.trackingId);
  const once = () => expect(new Set(trackingIds()).size).toBe(trackingIds().length);

  it('refreshes before the first send and before expiry, and on an expired token mid-queue; each message once; a restart goes on from the rotated token', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cx-zalo-refresh-'));
    const file = join(dir, 'canhxa.db');
    let db = openDb(file);
    let { s, zns, until } = rig(db);
    const sentBefore = api.sent.length;

    s.set('net-1', 'down', 'heartbeat-late');
    s.advance(6 * MIN);
    await until(() => zns().sent === 1, 'the first message sent on a refreshed token');
    expect(api.refreshes).toBe(1);

    // Every token expires early (revoked, or the box slept): the queue's first send is refused,
    // refreshed, sent again; the next one rides on the new token.
    api.expireAccessTokens();
    s.set('wifi-1', 'down', 'heartbeat-late');
    s.set('wifi-2', 'down', 'heartbeat-late');
    s.advance(11 * MIN);
    await until(() => zns().sent === 3 && zns().pending === 0, 'the two queued messages sent');
    expect(api.tokenRefusals).toBe(1);
    expect(api.refreshes).toBe(2);
    expect(api.sent.length - sentBefore).toBe(3);
    once();

    // 24.5 h later the token has less than the hour left: refreshed before it is refused.
    s.advance(24 * HOUR + 30 * MIN);
    s.set('net-1', 'up', 'heartbeat');
    s.advance(1000);
    const resolves = () => trackingIds().filter((t) => t.endsWith('-resolve')).length;
    await until(() => zns().pending === 0 && resolves() === 1, 'the recovery sent');
    expect(api.refreshes).toBe(3);
    expect(api.tokenRefusals).toBe(1);

    // The rotated refresh token is in the database, not the spent one the secrets still hold.
    const stored = db.prepare("SELECT value FROM notifier_state WHERE notifier = 'zns'").pluck().get();
    expect(JSON.parse(String(stored)).refreshToken).toBe(api.refreshToken);

    // Restart: the same database; every access token expired meanwhile.
    const now = s.now();
    for (const stop of stops.splice(0)) await stop();
    db.close();
    api.expireAccessTokens();
    db = openDb(file);
    ({ s, zns, until } = rig(db, now + MIN));
    // The restart's first look finds every device up: wifi-1, wifi-2 and the silent soil sensor recover.
    s.advance(1000);
    await until(() => zns().pending === 0 && resolves() >= 3, 'the recoveries sent after the restart');
    expect(api.refusedRefreshes).toBe(0);
    expect(api.refreshes).toBe(4);
    once();
    db.close();
  }, 120_000);

  it('a refused refresh is shown in the notifier health, holds the message, and sends it once the refresh works', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cx-zalo-refresh-'));
    const db = openDb(join(dir, 'canhxa.db'));
    const { s, zns, until } = rig(db);
    api.oauthMode = 'fail';
    s.set('net-1', 'down', 'heartbeat-late');
    s.advance(6 * MIN);
    await until(() => zns().failedAttempts >= 2, 'refused refreshes retried');
    expect(zns()).toMatchObject({ pending: 1, sent: 0, dead: 0 });
    expect(zns().lastError).toBe(
      'zalo: token refresh failed: -14014 Refresh token is invalid. Fix: re-authorise the OA for this app in Zalo for Developers and set secret "zalo-refresh" to the new refresh token; queued messages wait for it',
    );
    const kept = JSON.stringify(db.prepare('SELECT last_error FROM notify_outbox').pluck().all());
    expect(kept).not.toContain('zalo-refresh-0-TEST');
    expect(api.sent).toHaveLength(0);

    // Zalo down rather than refusing: no call to re-authorise anything, the message still waits.
    api.oauthMode = 'down';
    await until(() => zns().lastError?.includes('503') ?? false, 'a refresh while Zalo is down');
    expect(zns().lastError).toBe(
      'zalo: token refresh failed: 503. Zalo did not answer the refresh; it is retried with backoff and queued messages wait',
    );
    expect(zns()).toMatchObject({ pending: 1, sent: 0, dead: 0 });

    api.oauthMode = 'ok';
    await until(() => zns().sent === 1 && zns().pending === 0, 'sent once the refresh works');
    expect(api.sent).toHaveLength(1);
    expect(api.refreshes).toBe(1);
    db.close();
  }, 120_000);
});
