import { defineRegistry } from '../../services/shared/registry.ts';
import { dns } from './dns.ts';
import { http } from './http.ts';
import { icmp } from './icmp.ts';
import { onvifProbe } from './onvif.ts';
import { playStatus } from './play-status.ts';
import type { AnyProbe } from './probe.ts';
import { snmpProbe } from './snmp.ts';
import { tcp } from './tcp.ts';

/** Every probe, once. A test checks that each probe file in this folder is listed here. */
export const PROBES: readonly AnyProbe[] = [icmp, tcp, http, dns, snmpProbe, playStatus, onvifProbe];

/** Built at import (boot), so a duplicate kind stops the gateway before it probes anything. */
export const probes = defineRegistry('probe', PROBES);
