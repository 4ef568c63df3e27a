import { Point } from '@influxdata/influxdb-client';
import { readFileSync } from 'node:fs';
const U = readFileSync('/tmp/influx-url','utf8');
const ids = ['cam-cổng "chợ", số=1 \'A\'', 'a\\b', 'a\\\\b', 'end\\', 'tab\there', 'x\\,y', 'ũ ờ ệ 🐃', 'a\\ b', '\\'];
const lines = ids.map((d,i)=> new Point('reading').tag('commune','esc').tag('device', d).tag('metric','m').floatField('value', i).timestamp(1000+i).toLineProtocol()!);
for (const [i, l] of lines.entries()) {
  const r = await fetch(`${U}/write?db=t1&precision=ms`, {method:'POST', body: l});
  console.log(i, JSON.stringify(l), r.status, await r.text());
}
const q = (s:string)=> "'" + s.replace(/\\/g,'\\\\').replace(/'/g,"\\'").replace(/\n/g,'\\n') + "'";
const r = await fetch(`${U}/query?db=t1&epoch=ms`, {method:'POST', body: new URLSearchParams({q: `SELECT "value","device" FROM "reading" WHERE "commune" = 'esc'`})});
const j = await r.json() as any;
for (const v of j.results[0].series[0].values) console.log(JSON.stringify(v), ids[v[1]] === v[2]);
for (const d of ids) {
  const r = await fetch(`${U}/query?db=t1&epoch=ms`, {method:'POST', body: new URLSearchParams({q: `SELECT "value","device" FROM "reading" WHERE "commune" = 'esc' AND "device" = ${q(d)}`})});
  console.log(JSON.stringify(d), q(d), await r.text());
}
