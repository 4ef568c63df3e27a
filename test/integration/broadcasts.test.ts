/**
 * The bulletin question end to end: the demo's loudspeaker controllers show what they played on
 * their status pages (real HTTP servers on loopback), the commune's probe gateway reads them with
 * the play-status probe and publishes what it read (a real MQTT client of the real broker), ingest
 * stores the events, and the API judges every hamlet of the latest bulletin. The same demo's
 * community-house APs have a week of Wi-Fi clients (sent through the same gateway) to chart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OccurrenceResult } from '../../services/broadcasts/results.ts';
import { WIFI_CLIENTS_METRIC } from '../../services/protocol/metrics.ts';
import { login, startTestApp, type TestApp } from '../setup/app.ts';
import { waitFor } from '../setup/helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ simulator: true, speed: 20 });
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

async function get(cookie: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${app.apiUrl}${path}`, { headers: { cookie } });
  return { status: res.status, body: await res.json() };
}

describe('bulletins through the real service', () => {
  it('shows the latest bulletin played in some hamlets and missed in one, per hamlet too', async () => {
    const cookie = await login(app, 'kythuat.loctan', app.userPasswords.get('kythuat.loctan')!);
    const latest = await waitFor(
      async () => {
        const { body } = await get(cookie, '/api/broadcasts');
        // The newest bulletin whose window has closed (one aired minutes ago is still pending).
        const occ = (body as OccurrenceResult[]).find((o) => o.hamlets.every((h) => h.outcome !== 'pending'));
        // Every speaker but one confirms: wait until all of those are stored.
        return occ && occ.played > 0 && occ.played + occ.missed === occ.hamlets.length && occ.missed === 1
          ? occ
          : undefined;
      },
      'the latest bulletin judged with one miss',
      // The play-status probe reads each controller's page every 15 s, first at a random point.
      75_000,
      200,
    );
    expect(latest.communeId).toBe('loc-tan');
    expect(['sang', 'chieu']).toContain(latest.broadcastId);
    const miss = latest.hamlets.find((h) => h.outcome === 'missed')!;
    expect(miss.cause).toBeDefined();
    expect(miss.reason.code).toMatch(/^broadcast-/);
    const played = latest.hamlets.find((h) => h.outcome === 'played')!;
    expect(played.confirmedBy?.deviceId).toMatch(/^lt-loa-/);
    // Read from the controller's page by the play-status probe (which names the item it read).
    const events = await get(
      cookie,
      `/api/devices/${played.confirmedBy!.deviceId}/events?from=${latest.startTs - 60_000}&to=${latest.confirmByTs}`,
    );
    expect(events.body).toContainEqual(
      expect.objectContaining({
        type: 'broadcast-played',
        ts: played.confirmedBy!.startedTs,
        detail: expect.objectContaining({ item: latest.broadcastId, broadcastId: latest.broadcastId }),
      }),
    );

    const history = await get(cookie, `/api/hamlets/${miss.hamletId}/broadcasts`);
    expect(history.status).toBe(200);
    const mine = (history.body as OccurrenceResult[]).find((o) => o.startTs === latest.startTs)!;
    expect(mine.hamlets).toEqual([expect.objectContaining({ hamletId: miss.hamletId, outcome: 'missed' })]);

    // Another commune's hamlet is refused; a police user has no bulletins at all.
    expect((await get(cookie, '/api/hamlets/tl-ap-01/broadcasts')).status).toBe(403);
    const police = await login(app, 'congan.loctan', app.userPasswords.get('congan.loctan')!);
    expect((await get(police, '/api/broadcasts')).status).toBe(403);
  }, 120_000);

  it("shows clients per day for a week at the demo's community-house APs", async () => {
    const cookie = await login(app, 'kythuat.talai', app.userPasswords.get('kythuat.talai')!);
    const { body } = await get(cookie, '/api/outages');
    const aps = (body as { wifiAps: { id: string }[] }).wifiAps;
    expect(aps.length).toBeGreaterThan(0);
    // The series the Outages page draws the per-day table from: a week of hours, sent through the
    // probe gateway at start.
    // A week of hours from every AP is a burst of QoS 1 messages through one gateway: on a busy
    // machine it takes a while to be stored, so the wait is long and says how far it got.
    let seen = 0;
    const series = await waitFor(
      async () => {
        const r = await get(
          cookie,
          `/api/devices/${aps[0]!.id}/series?metric=${WIFI_CLIENTS_METRIC}&range=7d`,
        );
        const points = (r.body as { points: { ts: number; max: number }[] }).points;
        seen = points.length;
        return points.length >= 7 * 24 - 2 ? points : undefined;
      },
      'a week of hourly client counts',
      120_000,
      500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; ${seen} hourly points so far`);
    });
    const days = new Set(series.map((p) => Math.floor((p.ts + 7 * 3_600_000) / 86_400_000)));
    expect(days.size).toBeGreaterThanOrEqual(7);
    expect(Math.max(...series.map((p) => p.max))).toBeGreaterThan(0);
  }, 150_000);
});
