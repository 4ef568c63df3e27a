import { PAYLOAD_CODECS } from '../../gateway/lorawan/codecs/registry.ts';
import { codecConformance } from './codec.suite.ts';

for (const codec of PAYLOAD_CODECS) codecConformance(codec);
