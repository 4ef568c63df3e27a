import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BulletinPlayer, type PlayedEvent, startsBetween } from '../../../gateway/simulator/bulletins.ts';

const MIN = 60_000;
const sang = {
  communeId: 'xa-thu',
  id: 'sang',
  at: '06:00',
  days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
  durationMin: 30,
};
const speakers = [1, 2, 3, 4].map((n) => ({ id: `loa-${n}`, communeId: 'xa-thu' }));

describe('simulator: bulletin player', () => {
  it('finds the starts of a bulletin in Vietnam time, on its days only', () => {
    const from = Date.parse('2026-03-02T00:00:00+07:00'); // a Monday
    const week = startsBetween({ ...sang, days: ['mon', 'sun'] }, from, from + 7 * 86_400_000);
    expect(week.map((ts) => new Date(ts).toISOString())).toEqual([
      '2026-03-01T23:00:00.000Z',
      '2026-03-07T23:00:00.000Z',
    ]);
  });

  it('at start confirms the latest bulletin for every speaker but one, as each speaker, in the window', () => {
    const now = Date.parse('2026-03-02T07:10:00+07:00');
    const sent: { deviceId: string; doc: PlayedEvent }[] = [];
    const player = new BulletinPlayer({
      broadcasts: [sang],
      speakers,
      send: (deviceId, doc) => sent.push({ deviceId, doc }) > 0,
      log: pino({ level: 'silent' }),
      clock: () => now,
    });
    player.start();
    player.stop();
    const start = Date.parse('2026-03-02T06:00:00+07:00');
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((s) => s.deviceId)).size).toBe(3);
    for (const { doc } of sent) {
      expect(doc).toMatchObject({
        v: 1,
        type: 'broadcast-played',
        detail: { broadcastId: 'sang', durationSec: 1800 },
      });
      expect(doc.detail.startedTs).toBeGreaterThanOrEqual(start);
      expect(doc.detail.startedTs).toBeLessThan(start + MIN);
    }
  });
});
