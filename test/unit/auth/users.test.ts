import { describe, expect, it } from 'vitest';
import { hashPassword } from '../../../services/auth/passwords.ts';
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

describe('what the dashboard changes, against the config file', () => {
  it('keeps a password chosen in the dashboard while the file keeps its hash, and takes a hash changed in the file', async () => {
    const db = openDb(':memory:');
    const users = new Users(db);
    const fileHash = await hashPassword('Mật khẩu trong tệp cấu hình 1');
    const withHash = (h: string) => {
      const c = miniCommune();
      return {
        ...c,
        users: c.users.map((u) => (u.username === 'kythuat.thu' ? { ...u, passwordHash: h } : u)),
      };
    };
    await users.sync({ communes: [withHash(fileHash)] });
    expect(users.account('kythuat.thu')?.mustChangePassword).toBe(false);
    expect(users.account('congan.thu')?.mustChangePassword).toBe(true);
    await users.setPassword('kythuat.thu', 'Chọn trên bảng điều khiển 2');
    users.setLocked('congan.thu', true, 'quantri.thu');
    await users.sync({ communes: [withHash(fileHash)] });
    expect(await users.verify('kythuat.thu', 'Chọn trên bảng điều khiển 2')).toBeDefined();
    expect(users.account('congan.thu')).toMatchObject({ lockedBy: 'quantri.thu', mustChangePassword: true });
    await users.sync({ communes: [withHash(await hashPassword('Đổi lại trong tệp 3'))] });
    expect(await users.verify('kythuat.thu', 'Đổi lại trong tệp 3')).toBeDefined();
    expect(await users.verify('kythuat.thu', 'Chọn trên bảng điều khiển 2')).toBeUndefined();
  });
});
