import { defineRegistry } from '../../../services/shared/registry.ts';
import type { PayloadCodec } from './codec.ts';
import { draginoLse01 } from './dragino-lse01.ts';
import { milesightEm500Smtc } from './milesight-em500-smtc.ts';
import { sensecapS2105 } from './sensecap-s2105.ts';

/** Every payload codec, once. A test checks that each file in this folder is listed here. */
export const PAYLOAD_CODECS: readonly PayloadCodec[] = [draginoLse01, milesightEm500Smtc, sensecapS2105];

/** Built at import (boot), so a duplicate kind stops the service before it takes a message. */
export const payloadCodecs = defineRegistry('payload codec', PAYLOAD_CODECS);
