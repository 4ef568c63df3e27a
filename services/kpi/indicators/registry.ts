import { defineRegistry } from '../../shared/registry.ts';
import type { Indicator } from '../indicator.ts';
import { cameraUntampered } from './camera-untampered.ts';
import { contractorSla } from './contractor-sla.ts';
import { farmCompleteness } from './farm-completeness.ts';
import { hamletCoverage } from './hamlet-coverage.ts';
import { longestOutage } from './longest-outage.ts';
import { mtbf } from './mtbf.ts';
import { mttr } from './mttr.ts';
import { outageCount } from './outage-count.ts';
import { siteCoverage } from './site-coverage.ts';
import { uptime } from './uptime.ts';

/** Every KPI kind a commune's `kpiTargets` may name. One file each; never rename a kind. */
export const INDICATORS: readonly Indicator[] = [
  uptime,
  hamletCoverage,
  siteCoverage,
  outageCount,
  mttr,
  mtbf,
  longestOutage,
  contractorSla,
  cameraUntampered,
  farmCompleteness,
] as unknown as readonly Indicator[];

export const indicators = defineRegistry('indicator', INDICATORS);
