import { z } from 'zod';
import { generatePassword } from '../../auth/passwords.ts';
import type { Account, User } from '../../auth/users.ts';
import { CxError } from '../../shared/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { exampleDevice } from '../examples.ts';
import { type ExampleContext, route } from '../route.ts';
import { inScope } from '../visibility.ts';

const AccountView = z.object({
  username: z.string(),
  name: z.string(),
  role: z.string(),
  communeId: z.string().nullable(),
  mustChange: z.boolean(),
  lockedTs: z.number().nullable(),
  lockedBy: z.string().nullable(),
  passwordChangedTs: z.number().nullable(),
});

/**
 * Example param: the last user of the caller's commune file (the first commune for a caller of
 * every commune). The sample Tà Lài lists a second technician last, whom no other test signs in
 * as, so the role walk can reset and unlock that account without ending a session it uses.
 */
function exampleUser(ctx: ExampleContext): { username: string } {
  const communes = [...ctx.deps.directory.communes.values()];
  const c = communes.find((x) => x.commune.id === ctx.communeId) ?? communes[0]!;
  return { username: c.users.at(-1)!.username };
}

/**
 * The account an admin may manage: one of their own commune's (a province account is managed in
 * the service file). Unknown: 404; another commune's: 403, as for devices.
 */
function accountFor(deps: ApiDeps, admin: User, username: string): Account {
  const a = deps.users.account(username);
  if (!a) throw new CxError('CX_NOT_FOUND', `user ${username} not found`);
  if (a.communeId === null || !inScope(admin, a.communeId))
    throw new CxError('CX_FORBIDDEN', `${admin.username} may not manage ${username}`);
  return a;
}

function accountView(a: Account) {
  const { mustChangePassword, ...rest } = a;
  return { ...rest, mustChange: mustChangePassword };
}

function notSelf(admin: User, username: string, what: string): void {
  if (admin.username === username)
    throw new CxError('CX_NOT_ON_SELF', `${what} of one's own account`, { params: { username } });
}

export const accountRoutes = [
  route({
    method: 'get',
    path: '/api/users',
    access: ['admin'],
    tag: 'accounts',
    summary:
      "The accounts of the admin's commune: role, whether the password must be changed, lock. Never a password or hash.",
    response: z.array(AccountView),
    handle: ({ deps, user }) => deps.users.list(user!.communeId ?? '').map(accountView),
  }),
  route({
    method: 'post',
    path: '/api/users/:username/password-reset',
    access: ['admin'],
    tag: 'accounts',
    summary:
      'Gives the user a new one-time password, shown once in this answer; they must change it at their next sign-in, and their sessions end.',
    examples: { params: exampleUser, body: {} },
    oneTimeSecret: true,
    response: z.object({ username: z.string(), password: z.string() }),
    async handle({ deps, user, params }) {
      const admin = user!;
      const a = accountFor(deps, admin, params.username!);
      notSelf(admin, a.username, 'password reset');
      const password = generatePassword();
      await deps.users.setPassword(a.username, password, { mustChange: true, now: deps.clock() });
      const sessionsEnded = deps.sessions.destroyOthers(a.username);
      deps.audit.record(admin, 'password-reset', a.username, deps.clock(), { sessionsEnded }, a.communeId);
      deps.log.info({ username: a.username, by: admin.username, sessionsEnded }, 'password reset');
      return { username: a.username, password };
    },
  }),
  route({
    method: 'post',
    path: '/api/users/:username/lock',
    access: ['admin'],
    tag: 'accounts',
    summary: 'Locks (the user cannot sign in; their sessions end) or unlocks an account.',
    body: z.strictObject({ locked: z.boolean() }),
    examples: { params: exampleUser, body: { locked: false } },
    response: AccountView,
    handle({ deps, user, params, body }) {
      const admin = user!;
      const a = accountFor(deps, admin, params.username!);
      notSelf(admin, a.username, 'lock');
      deps.users.setLocked(a.username, body.locked, admin.username, deps.clock());
      deps.audit.record(
        admin,
        body.locked ? 'account-lock' : 'account-unlock',
        a.username,
        deps.clock(),
        undefined,
        a.communeId,
      );
      deps.log.info(
        { username: a.username, by: admin.username, locked: body.locked },
        'account lock changed',
      );
      return accountView(deps.users.account(a.username)!);
    },
  }),
  route({
    method: 'post',
    path: '/api/devices/:id/secret',
    access: ['admin'],
    tag: 'accounts',
    summary:
      "Rotates one device's MQTT password (a stolen or re-flashed device): the new one is shown once in this answer, the old one is refused at once and a client connected with it is disconnected.",
    examples: { params: exampleDevice, body: {} },
    oneTimeSecret: true,
    response: z.object({ deviceId: z.string(), password: z.string(), disconnected: z.boolean() }),
    handle({ deps, user, params }) {
      const admin = user!;
      // An admin runs the broker: every device of their commune, cameras included (no camera data
      // is read here, only its credential replaced).
      const d = deps.directory.get(params.id!);
      if (!d) throw new CxError('CX_NOT_FOUND', `device ${params.id} not found`);
      if (!inScope(admin, d.communeId))
        throw new CxError('CX_FORBIDDEN', `${admin.username} may not rotate ${d.id}`);
      if (!deps.deviceSecrets)
        throw new CxError('CX_SECRET_ELSEWHERE', 'device secrets are in the external broker');
      const { password, disconnected } = deps.deviceSecrets.rotate(d.id);
      deps.audit.record(admin, 'device-secret-rotate', d.id, deps.clock(), { disconnected }, d.communeId);
      deps.log.info({ deviceId: d.id, by: admin.username, disconnected }, 'device secret rotated');
      return { deviceId: d.id, password, disconnected };
    },
  }),
];
