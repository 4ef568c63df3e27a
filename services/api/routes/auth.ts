import { z } from 'zod';
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
});

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
      const token = deps.sessions.create(user.username);
      res.cookie(SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: deps.config.service.api.cookieSecure,
        path: '/',
        maxAge: deps.config.service.api.sessionTtlHours * 3_600_000,
      });
      deps.log.info({ username: user.username, role: user.role }, 'login');
      return { user };
    },
  }),
  route({
    method: 'post',
    path: '/api/auth/logout',
    access: 'signed-in',
    tag: 'auth',
    summary: 'Ends the session.',
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
    handle: ({ user }) => ({ user }),
  }),
];
