/**
 * Who is told about an alert (pure): the users named by one step of the commune's chain, kept only
 * if their role may see the device (technicians no camera, economics only farm sensors). A step
 * applies by device type, hamlet, site and contractor; with `deviceContractor` it names only the
 * people of the device's own contractor. Cameras go only to the police and the commune's camera
 * maintainers, whatever the chain says.
 */
import type { CommuneFile, Role } from '../../config/schema/commune.ts';
import { canSee } from '../device-types/registry.ts';
import { maintainsCameras } from '../inventory/camera-maintainers.ts';
import { type DeviceFacts, inScope } from './conditions.ts';
import { ruleKinds } from './rule-kinds/registry.ts';

export type Recipient = CommuneFile['users'][number];

/** The steps of the chain that apply to this device, in order (a step may be scoped by type or place). */
export function stepsFor(c: CommuneFile, d: DeviceFacts): CommuneFile['alerts']['notify'] {
  return c.alerts.notify.filter((s) => inScope(s, d) && (!s.deviceContractor || d.contractor !== undefined));
}

/**
 * The roles a rule tells instead of the commune's chain (a plot alert: the economics office), or
 * undefined for the chain. Such a rule has one step: there is nobody to escalate to.
 */
export function ruleRoles(c: CommuneFile, ruleId: string): readonly Role[] | undefined {
  const rule = c.alerts.rules.find((r) => r.id === ruleId);
  return rule && ruleKinds.get(rule.kind)?.roles?.(rule);
}

export function recipients(
  c: CommuneFile,
  d: DeviceFacts,
  stepIndex: number,
  roles?: readonly Role[],
): Recipient[] {
  if (roles) {
    if (d.type === 'camera' || stepIndex !== 0) return [];
    return c.users.filter((u) => roles.includes(u.role) && canSee(u.role, d.type));
  }
  const step = stepsFor(c, d)[stepIndex];
  if (!step) return [];
  return c.users.filter((u) => {
    const named = (step.users?.includes(u.username) ?? false) || (step.roles?.includes(u.role) ?? false);
    if (!named) return false;
    if (step.deviceContractor && u.contractor !== d.contractor) return false;
    if (d.type === 'camera') return u.role === 'police' || maintainsCameras(c, u);
    return canSee(u.role, d.type);
  });
}

/** Camera maintainers are told about cameras even when no step names them. */
export function cameraExtras(c: CommuneFile, d: DeviceFacts, stepIndex: number): Recipient[] {
  if (d.type !== 'camera' || stepIndex !== 0) return [];
  return c.users.filter((u) => maintainsCameras(c, u));
}
