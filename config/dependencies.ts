import type { CommuneFile, DeviceConfig } from './schema/commune.ts';

/**
 * Who reports for a device and what it depends on are separate facts (a probe that watches a
 * camera is not the camera's way to the internet). `behind`, from before they were split, means both.
 */
export function reportersOf(d: DeviceConfig): readonly string[] {
  return d.reportedBy ?? (d.behind === undefined ? [] : [d.behind]);
}

/** Its `dependsOn` (or `behind`), else its site's uplink (unless it is that uplink). */
export function upstreamsOf(d: DeviceConfig, siteUplink: string | undefined): readonly string[] {
  if (d.dependsOn) return d.dependsOn;
  if (d.behind !== undefined) return [d.behind];
  return siteUplink !== undefined && siteUplink !== d.id ? [siteUplink] : [];
}

/**
 * Problems with `reportedBy`, `dependsOn` and `behind`: unknown ids, a device naming itself, the
 * old and new fields mixed, and dependency cycles (which would make an outage its own cause).
 */
export function dependencyProblems(file: string, c: CommuneFile): string[] {
  const out: string[] = [];
  const ids = new Set(c.devices.map((d) => d.id));
  const uplinkOf = new Map(c.sites.map((s) => [s.id, s.uplink]));
  c.devices.forEach((d, i) => {
    if (d.behind !== undefined && (d.reportedBy || d.dependsOn))
      out.push(
        `${file}: devices[${i}].behind — given with reportedBy or dependsOn, it is ambiguous. Fix: remove behind; reportedBy and dependsOn say the same and more.`,
      );
    const refs: Array<[string, readonly string[], string]> = [
      ['reportedBy', d.reportedBy ?? [], 'an adapter or gateway device of this commune'],
      ['dependsOn', d.dependsOn ?? [], 'its uplink, LoRa gateway or power device'],
      ['behind', d.behind === undefined ? [] : [d.behind], 'its gateway or uplink device'],
    ];
    for (const [field, list, what] of refs)
      list.forEach((id, j) => {
        const at = field === 'behind' ? `devices[${i}].behind` : `devices[${i}].${field}[${j}]`;
        if (id === d.id) out.push(`${file}: ${at} — a device cannot name itself here. Fix: remove "${id}".`);
        else if (!ids.has(id))
          out.push(
            `${file}: ${at} — "${id}" is not a device of this commune${field === 'reportedBy' ? ' (a reporter must be in the same commune as the device: each commune has its own topics, ACL and ingest shard)' : ''}. Fix: name ${what}.`,
          );
        else if (list.indexOf(id) !== j)
          out.push(`${file}: ${at} — "${id}" is listed twice. Fix: remove one.`);
      });
  });
  const upstreams = new Map(
    c.devices.map((d) => [d.id, upstreamsOf(d, uplinkOf.get(d.site)).filter((u) => ids.has(u))]),
  );
  for (const cycle of cycles(upstreams)) {
    const i = c.devices.findIndex((d) => d.id === cycle[0]);
    out.push(
      `${file}: devices[${i}].dependsOn — dependency cycle ${[...cycle, cycle[0]].join(' → ')} (site uplinks included). Fix: a device cannot depend, even through others, on one that depends on it; remove one link.`,
    );
  }
  return out;
}

/** Each cycle once, as the ids along it, by depth-first search. */
function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const visit = (id: string, path: string[]) => {
    const at = path.indexOf(id);
    if (at >= 0) return void found.push(path.slice(at));
    if (done.has(id)) return;
    path.push(id);
    for (const next of edges.get(id) ?? []) visit(next, path);
    path.pop();
    done.add(id);
  };
  for (const id of edges.keys()) visit(id, []);
  return found;
}
