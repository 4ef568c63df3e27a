import type { ContractConfig } from '../../config/schema/contractors.ts';

/** What a contract needs of a device to know whether it supplies it. */
export interface ContractedDevice {
  readonly id: string;
  readonly type: string;
  readonly siteId: string;
}

/**
 * Whether the contract covers the device: listed by id, or matching every selector given of
 * `deviceTypes` and `sites` (a contract for "all Wi-Fi at the community houses" names both).
 */
export function inContract(contract: ContractConfig, d: ContractedDevice): boolean {
  if (contract.devices?.includes(d.id)) return true;
  if (contract.deviceTypes === undefined && contract.sites === undefined) return false;
  return (
    (contract.deviceTypes === undefined || contract.deviceTypes.includes(d.type)) &&
    (contract.sites === undefined || contract.sites.includes(d.siteId))
  );
}
