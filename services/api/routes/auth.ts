import { z } from 'zod';
import { passwordProblem } from '../../auth/password-strength.ts';
import type { Users } from '../../auth/users.ts';
import { CxError } from '../../shared/errors.ts';
import { shownName } from '../../shared/mask.ts';
import { route } from '../route.ts';

export const SESSION_COOKIE = 'cx_session';

/** communeId is null for a province user (every commune). */
const UserView = z.object({
  username: z.string(),
  name: z.string(),
  role: z.string(),
  communeId: z.string().nullable(),
  /** Signed in with a generated or reset password: must choose a new one before anything else. */
  mustChange: z.boolean(),
});

/** The signed-in user as the API shows them: who, and whether they must choose a password first. */
function userView(users: Users, username: string) {
  const a = users.account(username)!;
  return {
    username: a.username,
    name: a.name,
    role: a.role,
    communeId: a.communeId,
    mustChange: a.mustChangePassword,
  };
}

export const authRoutes = [
  route({
    method: 'post',
    path: '/api/auth/login',
    access: 'public',
    tag: 'auth',
    summary: 'Sign in with user name and password; sets an HttpOnly session cookie.',
    body: z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }),
    examples: { body: { username: 'kythuat.talai', password: 'mật khẩu' } },
    response: z.object({ user: UserView }),
    async handle({ deps, body, req, res }) {
      const ip = req.ip ?? 'unknown';
      const username = body.username.trim().toLowerCase();
      const wait = deps.throttle.retryAfterMinutes(ip, username);
      if (wait > 0) throw new CxError('CX_TOO_MANY_LOGINS', 'login throttled', { params: { minutes: wait } });
      const user = await deps.users.verify(username, body.password);
      if (!user) {
        deps.throttle.fail(ip, username);
        // A password typed into the user-name field must not reach the log: an unknown name is masked.
        deps.log.warn(
          { username: shownName(username, deps.users.get(username) !== undefined), ip },
          'login failed',
        );
        throw new CxError('CX_BAD_LOGIN', 'bad login');
      }
      deps.throttle.succeed(ip, username);
      // Only now, with the password proven: a guess must not learn that an account is locked.
      if (user.lockedTs !== null) {
        deps.log.warn({ username: user.username }, 'login refused: account locked');
        throw new CxError('CX_ACCOUNT_LOCKED', 'account locked');
      }
      const token = deps.sessions.create(user.username);
      res.cookie(SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: deps.config.service.api.cookieSecure,
        path: '/',
        maxAge: deps.config.service.api.sessionTtlHours * 3_600_000,
      });
      deps.log.info({ username: user.username, role: user.role }, 'login');
      return { user: userView(deps.users, user.username) };
    },
  }),
  route({
    method: 'post',
    path: '/api/auth/logout',
    access: 'signed-in',
    tag: 'auth',
    summary: 'Ends the session.',
    duringPasswordChange: true,
    examples: { body: {} },
    handle({ deps, req, res }) {
      const token = req.cookies?.[SESSION_COOKIE];
      if (token) deps.sessions.destroy(token);
      res.clearCookie(SESSION_COOKIE, { path: '/' });
      res.status(204);
      return undefined;
    },
  }),
  route({
    method: 'get',
    path: '/api/auth/me',
    access: 'signed-in',
    tag: 'auth',
    summary: 'The signed-in user.',
    response: z.object({ user: UserView }),
    duringPasswordChange: true,
    handle: ({ deps, user }) => ({ user: userView(deps.users, user!.username) }),
  }),
  route({
    method: 'post',
    path: '/api/auth/password',
    access: 'signed-in',
    tag: 'auth',
    summary:
      "Changes the signed-in user's own password (the current one, then a new one of at least 10 characters that zxcvbn scores 3 or more); every other session of the user ends.",
    duringPasswordChange: true,
    body: z.strictObject({
      currentPassword: z.string().min(1).max(256),
      newPassword: z.string().min(1).max(256),
    }),
    examples: { body: { currentPassword: 'mật khẩu cũ', newPassword: 'Hoa sen nở trong ao 1975' } },
    response: z.object({ user: UserView, sessionsEnded: z.number() }),
    async handle({ deps, user, body, req }) {
      const me = user!;
      const ip = req.ip ?? 'unknown';
      // The current password is a login in all but name: a stolen session must not guess it freely.
      const wait = deps.throttle.retryAfterMinutes(ip, me.username);
      if (wait > 0)
        throw new CxError('CX_TOO_MANY_LOGINS', 'password change throttled', { params: { minutes: wait } });
      if (!(await deps.users.verify(me.username, body.currentPassword))) {
        deps.throttle.fail(ip, me.username);
        deps.log.warn({ username: me.username, ip }, 'password change refused: wrong current password');
        throw new CxError('CX_WRONG_PASSWORD', 'wrong current password', {
          fields: { currentPassword: 'error.CX_WRONG_PASSWORD' },
        });
      }
      const communeName = me.communeId ? deps.directory.communes.get(me.communeId)?.commune.name : undefined;
      const problem = passwordProblem(
        body.newPassword,
        [
          me.username,
          me.name,
          ...(me.communeId ? [me.communeId] : []),
          ...(communeName ? [communeName] : []),
        ],
        body.currentPassword,
      );
      if (problem)
        throw new CxError('CX_WEAK_PASSWORD', `new password refused: ${problem}`, {
          params: { problem },
          fields: { newPassword: `password.${problem}` },
        });
      await deps.users.setPassword(me.username, body.newPassword, { now: deps.clock() });
      const token = req.cookies?.[SESSION_COOKIE];
      const sessionsEnded = deps.sessions.destroyOthers(me.username, token);
      deps.audit.record(me, 'password-change', me.username, deps.clock(), { sessionsEnded });
      deps.log.info({ username: me.username, sessionsEnded }, 'password changed');
      return { user: userView(deps.users, me.username), sessionsEnded };
    },
  }),
];
