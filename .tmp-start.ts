import { startInfluxd } from './test/setup/influxd.ts';
const s = await startInfluxd();
console.log(s.url, s.pid);
import { writeFileSync } from 'node:fs';
writeFileSync('/tmp/influx-url', s.url);
await new Promise(r => setTimeout(r, 1_500_000));
