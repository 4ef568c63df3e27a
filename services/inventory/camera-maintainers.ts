import type { CommuneFile, UserConfig } from '../../config/schema/commune.ts';

/**
 * Whether the commune names this user a camera maintainer: a technician (the camera contractor's,
 * usually) who sees the cameras' health and is told of their outages, never their imagery, streams
 * or positions. The commune file can say it in two places, `users[].cameraMaintainer` and the older
 * `alerts.cameraMaintainers`; either one makes a user a maintainer everywhere, so the health page
 * and the alerts never disagree about who looks after the cameras.
 */
export function maintainsCameras(c: CommuneFile, u: UserConfig): boolean {
  return u.role === 'technician' && (u.cameraMaintainer || c.alerts.cameraMaintainers.includes(u.username));
}

/** maintainsCameras for a username; false for one the commune does not have. */
export function isCameraMaintainerOf(c: CommuneFile | undefined, username: string): boolean {
  const u = c?.users.find((x) => x.username === username);
  return c !== undefined && u !== undefined && maintainsCameras(c, u);
}
