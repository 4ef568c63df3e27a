import type { DeviceDirectory, DeviceInfo } from '../inventory/device-directory.ts';

export const SCOPES = ['device', 'site', 'hamlet', 'commune'] as const;
export type ScopeKind = (typeof SCOPES)[number];

export interface Scope {
  readonly kind: ScopeKind;
  readonly id: string;
}

/**
 * The devices a scope covers, in directory order, or undefined when no commune has that device,
 * site, hamlet or commune. Site and hamlet ids are matched in every commune; callers narrow to
 * what the reader may see (services/api/visibility.ts).
 */
export function devicesInScope(directory: DeviceDirectory, scope: Scope): DeviceInfo[] | undefined {
  const all = [...directory.all()];
  const match: Record<ScopeKind, (d: DeviceInfo) => boolean> = {
    device: (d) => d.id === scope.id,
    site: (d) => d.siteId === scope.id,
    hamlet: (d) => d.hamletId === scope.id,
    commune: (d) => d.communeId === scope.id,
  };
  const known: Record<ScopeKind, () => boolean> = {
    device: () => directory.get(scope.id) !== undefined,
    site: () => [...directory.communes.values()].some((c) => c.sites.some((s) => s.id === scope.id)),
    hamlet: () => [...directory.communes.values()].some((c) => c.hamlets.some((h) => h.id === scope.id)),
    commune: () => directory.communes.has(scope.id),
  };
  return known[scope.kind]() ? all.filter(match[scope.kind]) : undefined;
}
