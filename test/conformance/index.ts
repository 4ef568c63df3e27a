import { PAYLOAD_CODECS } from '../../gateway/lorawan/codecs/registry.ts';
import { PROBES } from '../../gateway/probes/registry.ts';
import { RULE_KINDS } from '../../services/alerts/rule-kinds/registry.ts';
import { DEVICE_TYPES } from '../../services/device-types/registry.ts';
import { INDICATORS } from '../../services/kpi/indicators/registry.ts';
import { NOTIFIERS } from '../../services/notify/registry.ts';
import { REPORT_FORMATS } from '../../services/reports/formats/registry.ts';
import type { Configurable, Registered } from '../../services/shared/registry.ts';
import { STORES } from '../../services/store/registry.ts';

/**
 * Every registry (one per `defineRegistry` call in services/ and gateway/) and the conformance
 * suite each of its kinds must run. registries.test.ts fails when a registry is missing here, or
 * when a registered kind has no `call('<kind>'` in a test/conformance/*.test.ts file.
 */
export interface ConformanceEntry {
  /** The name given to defineRegistry. */
  readonly registry: string;
  /** The registry folder (relative to the repository), whose files or folders are its entries. */
  readonly folder: string;
  /** Entries; those that take settings carry their schema and example (Configurable). */
  readonly entries: ReadonlyArray<Registered | (Registered & Configurable)>;
  /** Suite file in test/conformance, and the function it exports that runs it for one kind. */
  readonly suite: string;
  readonly call: string;
  /** How the folder's entries map to kinds (see unlistedFiles in registry-files.ts). */
  readonly layout: {
    readonly exclude?: readonly string[];
    readonly folders?: boolean;
    readonly fileOf?: (kind: string) => string;
  };
}

export const CONFORMANCE_INDEX: readonly ConformanceEntry[] = [
  {
    registry: 'device type',
    folder: 'services/device-types',
    entries: DEVICE_TYPES,
    suite: 'device-type.suite.ts',
    call: 'deviceTypeConformance',
    layout: { exclude: ['registry.ts', 'device-type.ts'] },
  },
  {
    registry: 'store',
    folder: 'services/store',
    entries: STORES,
    suite: 'store.suite.ts',
    call: 'storeConformance',
    // Implementations are folders; embedded/ holds the sqlite kind.
    layout: { folders: true, fileOf: (kind) => (kind === 'sqlite' ? 'embedded' : kind) },
  },
  {
    registry: 'probe',
    folder: 'gateway/probes',
    entries: PROBES,
    suite: 'probe.suite.ts',
    call: 'probeConformance',
    layout: { exclude: ['registry.ts', 'probe.ts', 'wire.ts'], fileOf: (kind) => kind },
  },
  {
    registry: 'payload codec',
    folder: 'gateway/lorawan/codecs',
    entries: PAYLOAD_CODECS,
    suite: 'codec.suite.ts',
    call: 'codecConformance',
    layout: { exclude: ['registry.ts', 'codec.ts'] },
  },
  {
    registry: 'indicator',
    folder: 'services/kpi/indicators',
    entries: INDICATORS,
    suite: 'indicator.suite.ts',
    call: 'indicatorConformance',
    layout: { exclude: ['registry.ts'] },
  },
  {
    registry: 'report format',
    folder: 'services/reports/formats',
    entries: REPORT_FORMATS,
    suite: 'report-format.suite.ts',
    call: 'reportFormatConformance',
    layout: { exclude: ['registry.ts', 'report-format.ts'] },
  },
  {
    registry: 'notifier',
    folder: 'services/notify/notifiers',
    entries: NOTIFIERS,
    suite: 'notifier.suite.ts',
    call: 'notifierConformance',
    layout: {},
  },
  {
    registry: 'alert rule kind',
    folder: 'services/alerts/rule-kinds',
    entries: RULE_KINDS,
    suite: 'alert-rule-kind.suite.ts',
    call: 'alertRuleKindConformance',
    // plot-moisture.ts and metric-episode.ts are what the kinds share, not kinds.
    layout: { exclude: ['registry.ts', 'rule-kind.ts', 'metric-episode.ts', 'plot-moisture.ts'] },
  },
];
