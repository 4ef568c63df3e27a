import type { PayloadCodec } from './codec.ts';
import { draginoLse01 } from './dragino-lse01.ts';
import { milesightEm500Smtc } from './milesight-em500-smtc.ts';
import { sensecapS2105 } from './sensecap-s2105.ts';

/** Every payload codec, once. A test checks that each file in this folder is listed here. */
export const PAYLOAD_CODECS: readonly PayloadCodec[] = [draginoLse01, milesightEm500Smtc, sensecapS2105];

function toMap(list: readonly PayloadCodec[]): ReadonlyMap<string, PayloadCodec> {
  const map = new Map<string, PayloadCodec>();
  for (const c of list) {
    if (!/^[a-z][a-z0-9-]*$/.test(c.kind))
      throw new Error(`payload codec kind "${c.kind}" is not kebab-case`);
    if (map.has(c.kind)) throw new Error(`payload codec kind "${c.kind}" is registered twice`);
    map.set(c.kind, c);
  }
  return map;
}

/** Built at import (boot), so a duplicate kind stops the service before it takes a message. */
export const payloadCodecs = toMap(PAYLOAD_CODECS);
