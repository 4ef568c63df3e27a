import { describe, expect, it } from 'vitest';
import { Sessions } from '../../../services/auth/sessions.ts';
import { Users } from '../../../services/auth/users.ts';
import { openDb } from '../../../services/store/db.ts';
import { miniCommune } from '../../fixtures/mini-commune.ts';

describe('users from config', () => {
  it('generates a password once, keeps it across restarts, and never stores it plain', async () => {
    const db = openDb(':memory:');
    const users = new Users(db);
    const first = await users.sync({ communes: [miniCommune()] });
    expect([...first.keys()].sort()).toEqual(['congan.thu', 'kythuat.thu']);
    expect(await users.sync({ communes: [miniCommune()] })).toEqual(new Map());
    const pw = first.get('congan.thu')!;
    expect(await users.verify('congan.thu', pw)).toMatchObject({ role: 'police', communeId: 'xa-thu' });
    expect(await users.verify('congan.thu', `${pw}x`)).toBeUndefined();
    const stored = db.prepare('SELECT password_hash FROM users').pluck().all() as string[];
    for (const h of stored) expect(h).toMatch(/^scrypt\$/);
    expect(stored).not.toContain(pw);
  });

  it('removes a user taken out of the config, and ends their sessions', async () => {
    const db = openDb(':memory:');
    const users = new Users(db);
    const sessions = new Sessions(db, 3_600_000);
    const passwords = await users.sync({ communes: [miniCommune()] });
    const token = sessions.create('kythuat.thu');
    const commune = miniCommune();
    const withoutTechnician = {
      ...commune,
      users: commune.users.filter((u) => u.username !== 'kythuat.thu'),
    };
    await users.sync({ communes: [withoutTechnician] });
    expect(await users.verify('kythuat.thu', passwords.get('kythuat.thu')!)).toBeUndefined();
    expect(users.get('kythuat.thu')).toBeUndefined();
    expect(sessions.lookup(token)).toBeUndefined();
    expect(users.get('congan.thu')).toBeDefined();
  });
});
