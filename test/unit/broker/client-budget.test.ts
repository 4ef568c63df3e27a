import { describe, expect, it } from 'vitest';
import { ClientBudget, type ClientLimits, MAX_COOL_DOWN_MS } from '../../../services/broker/client-budget.ts';

const LIMITS: ClientLimits = {
  rejectsPer10s: 20,
  connectsPer10s: 10,
  connectsPerAddressPer10s: 60,
  firstCoolDownSec: 10,
};

function budget(limits = LIMITS) {
  const clock = { now: 1_000_000 };
  return { b: new ClientBudget(limits, () => clock.now), clock };
}

const attempt = (over: Partial<Parameters<ClientBudget['admitConnect']>[0]> = {}) => ({
  clientId: 'tl-cam-01',
  knownDevice: true,
  address: '10.0.0.7',
  proven: false,
  ...over,
});

describe('ClientBudget: refused messages', () => {
  it('lets 20 refused messages through in a burst and cuts the client at the 21st', () => {
    const { b } = budget();
    for (let i = 0; i < 20; i++) expect(b.messageRefused('tl-cam-01')).toBeNull();
    const c = b.messageRefused('tl-cam-01');
    expect(c).toMatchObject({ key: 'id:tl-cam-01', strict: true, strikes: 1 });
    expect(b.coolingDown()).toBe(1);
  });

  it('refills at 20 per 10 s, so a steady 2 a second is never cut', () => {
    const { b, clock } = budget();
    for (let i = 0; i < 300; i++) {
      expect(b.messageRefused('tl-cam-01')).toBeNull();
      clock.now += 500;
    }
  });

  it('refuses every CONNECT of a cut client while it cools down, even with its proven password', () => {
    const { b, clock } = budget();
    for (let i = 0; i < 21; i++) b.messageRefused('tl-cam-01');
    expect(b.admitConnect(attempt({ proven: true }))).toMatchObject({ key: 'id:tl-cam-01' });
    clock.now += 9_999;
    expect(b.admitConnect(attempt({ proven: true }))).not.toBeNull();
    clock.now += 1;
    expect(b.admitConnect(attempt({ proven: true }))).toBeNull();
  });

  it('doubles the cool-down on each repeat, caps it at 10 minutes, and forgets after a good spell', () => {
    const { b, clock } = budget();
    const durations: number[] = [];
    for (let k = 0; k < 9; k++) {
      let c = null;
      for (let i = 0; i < 21 && !c; i++) c = b.messageRefused('tl-cam-01');
      durations.push(c!.untilTs - clock.now);
      clock.now = c!.untilTs;
    }
    expect(durations.map((ms) => ms / 1000)).toEqual([10, 20, 40, 80, 160, 320, 600, 600, 600]);
    clock.now += MAX_COOL_DOWN_MS;
    let c = null;
    for (let i = 0; i < 21 && !c; i++) c = b.messageRefused('tl-cam-01');
    expect(c!.untilTs - clock.now).toBe(10_000);
  });
});

describe('ClientBudget: CONNECTs', () => {
  it('stops guesses naming a device at 10 per 10 s, before their passwords are checked', () => {
    const { b } = budget();
    for (let i = 0; i < 10; i++) expect(b.admitConnect(attempt())).toBeNull();
    expect(b.admitConnect(attempt())).toMatchObject({ key: 'guess:tl-cam-01', strict: false });
    expect(b.admitConnect(attempt())).toMatchObject({ key: 'guess:tl-cam-01' });
  });

  it('still admits the device itself, proven from memory, while guesses naming it cool down', () => {
    const { b } = budget();
    for (let i = 0; i < 11; i++) b.admitConnect(attempt());
    expect(b.admitConnect(attempt({ proven: true }))).toBeNull();
  });

  it('limits the device itself too, if it reconnects more than 10 times in 10 s', () => {
    const { b } = budget();
    for (let i = 0; i < 10; i++) expect(b.admitConnect(attempt({ proven: true }))).toBeNull();
    expect(b.admitConnect(attempt({ proven: true }))).toMatchObject({ key: 'id:tl-cam-01', strict: true });
  });

  it('counts only refused CONNECTs per address, and the address cool-down spares proven devices', () => {
    const { b } = budget();
    // A commune of 500 devices behind one NAT address reconnecting at once is not limited.
    for (let i = 0; i < 500; i++)
      expect(b.admitConnect(attempt({ clientId: `d-${i}`, knownDevice: false }))).toBeNull();
    for (let i = 0; i < 60; i++) expect(b.connectRefused('10.0.0.7')).toBeNull();
    expect(b.connectRefused('10.0.0.7')).toMatchObject({ key: 'addr:10.0.0.7' });
    expect(b.addressCoolDown('10.0.0.7')).not.toBeNull();
    expect(b.addressCoolDown('10.0.0.8')).toBeNull();
    expect(b.admitConnect(attempt({ clientId: 'x', knownDevice: false }))).toMatchObject({
      key: 'addr:10.0.0.7',
    });
    expect(b.admitConnect(attempt({ proven: true }))).toBeNull();
    expect(b.admitConnect(attempt({ address: '10.0.0.8' }))).toBeNull();
  });

  it('lets a known device not proven yet past its address cool-down to a cheap password check, within its guess budget', () => {
    const { b } = budget();
    for (let i = 0; i <= 60; i++) b.connectRefused('10.0.0.7');
    const cheap = () => 'cheap' as const;
    // Never connected since the start (not proven): its CONNECT goes on to the password check.
    expect(b.admitConnect(attempt({ clientId: 'tl-loa-04', hashCost: cheap }))).toBeNull();
    // Nothing to check (user name is not the client id), or an unknown id: the address refuses.
    expect(b.admitConnect(attempt({ clientId: 'tl-loa-05', hashCost: () => null }))).toMatchObject({
      key: 'addr:10.0.0.7',
    });
    expect(b.admitConnect(attempt({ clientId: 'x', knownDevice: false, hashCost: cheap }))).toMatchObject({
      key: 'addr:10.0.0.7',
    });
    // Guesses naming one device still spend its own budget: 10 in 10 s, then its guess cool-down.
    for (let i = 0; i < 9; i++)
      expect(b.admitConnect(attempt({ clientId: 'tl-loa-04', hashCost: cheap }))).toBeNull();
    expect(b.admitConnect(attempt({ clientId: 'tl-loa-04', hashCost: cheap }))).toMatchObject({
      key: 'guess:tl-loa-04',
    });
  });

  it('shares one budget of scrypt checks among all devices let past an address cool-down', () => {
    const { b, clock } = budget();
    for (let i = 0; i <= 60; i++) b.connectRefused('10.0.0.7');
    const slow = () => 'slow' as const;
    // A flood naming many hand-set-password devices buys 10 scrypt runs per 10 s, not 10 per device.
    const admitted = Array.from({ length: 50 }, (_, i) =>
      b.admitConnect(attempt({ clientId: `hand-${i}`, hashCost: slow })),
    ).filter((c) => c === null).length;
    expect(admitted).toBe(LIMITS.connectsPer10s);
    expect(b.admitConnect(attempt({ clientId: 'hand-x', hashCost: slow }))).toMatchObject({
      key: 'addr:10.0.0.7',
    });
    clock.now += 1000;
    expect(b.admitConnect(attempt({ clientId: 'hand-x', hashCost: slow }))).toBeNull();
  });

  it('keeps no key for unknown client ids, and forgets idle buckets', () => {
    const { b, clock } = budget();
    for (let i = 0; i < 1000; i++) b.admitConnect(attempt({ clientId: `random-${i}`, knownDevice: false }));
    b.admitConnect(attempt());
    clock.now += 10_000;
    b.admitConnect(attempt({ clientId: 'other' }));
    const inner = b as unknown as { buckets: Map<string, unknown> };
    expect([...inner.buckets.keys()]).toEqual(['guess:other']);
  });
});
