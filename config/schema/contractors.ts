import { z } from 'zod';
import { Id, Text } from './common.ts';

/**
 * One contract of a contractor: a budget line of the commune plan, the uptime the contractor
 * promised (SLA, %) and what it supplies. A device is in the contract when it is listed in
 * `devices`, or when its type is one of `deviceTypes` (if given) and its site one of `sites` (if
 * given). References are checked at load (config/contractors.ts).
 */
export const ContractSchema = z
  .strictObject({
    /** The line of the plan that pays for it, as quoted on devices (`budgetLine`) and in reports. */
    budgetLine: Text,
    /** Contractual uptime, percent of counted time (the same accounting as the uptime KPI). */
    slaPct: z.number().gt(0).max(100),
    devices: z.array(Id).min(1).optional(),
    /** Device type kinds (services/device-types/registry.ts). */
    deviceTypes: z.array(z.string()).min(1).optional(),
    sites: z.array(Id).min(1).optional(),
  })
  .refine((c) => c.devices !== undefined || c.deviceTypes !== undefined || c.sites !== undefined, {
    message: 'a contract must say what it supplies: devices, deviceTypes or sites',
    path: ['devices'],
  });
export type ContractConfig = z.output<typeof ContractSchema>;

/**
 * A supplier the commune holds to account (issue #16): its contracts, each with an SLA. Sample
 * communes carry `illustrative: true` contractors: made-up figures, never a real company's terms.
 */
export const ContractorSchema = z.strictObject({
  id: Id,
  name: Text,
  /** Made up for a sample or a demo; the leaders' page and reports say so. */
  illustrative: z.boolean().default(false),
  contracts: z.array(ContractSchema).min(1, 'a contractor needs at least one contract'),
});
export type ContractorConfig = z.output<typeof ContractorSchema>;
