/**
 * Where key points and police posts are is the police's to know (issue #12): through the API, for
 * every role of the sample communes, the commune listing and the device list give every other role
 * the hamlet's centre for those sites (marked approximate, no street address), with or without a
 * camera there, while public buildings keep their own position for everyone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, PROVINCE_USER, startTestApp, type TestApp } from '../setup/app.ts';

const USERS = {
  police: 'congan.talai',
  economics: 'kinhte.talai',
  technician: 'kythuat.talai',
  leader: 'lanhdao.talai',
  admin: 'quantri.talai',
  province: PROVINCE_USER,
} as const;

interface Site {
  id: string;
  kind: string;
  hamlet: string;
  location: { lat: number; lon: number };
  approximate: boolean;
  address?: string;
}
let app: TestApp;
const cookies = new Map<string, string>();

async function get<T>(role: keyof typeof USERS, path: string): Promise<T> {
  const r = await fetch(`${app.apiUrl}${path}`, { headers: { cookie: cookies.get(role)! } });
  expect(r.status, `${role} ${path}`).toBe(200);
  return (await r.json()) as T;
}

beforeAll(async () => {
  app = await startTestApp({ extra: 'map: { tileUrl: null }' });
  for (const [role, user] of Object.entries(USERS))
    cookies.set(role, await login(app, user, app.userPasswords.get(user)!));
}, 240_000);

afterAll(async () => {
  await app?.stop();
});

describe('key points and police posts on the map and in listings', () => {
  const taLai = () => app.directory.communes.get('ta-lai')!;
  const truth = (id: string) => taLai().sites.find((s) => s.id === id)!;

  it('gives the police every such site where it is', async () => {
    const [c] = await get<Array<{ sites: Site[] }>>('police', '/api/communes');
    const hidden = c!.sites.filter((s) => s.kind === 'key-point' || s.kind === 'police-post');
    expect(hidden.map((s) => s.kind)).toEqual(expect.arrayContaining(['key-point', 'police-post']));
    for (const s of hidden) {
      expect(s.approximate, s.id).toBe(false);
      expect(s.location).toEqual({ lat: truth(s.id).location.lat, lon: truth(s.id).location.lon });
    }
    expect(c!.sites.find((s) => s.id === 'tl-ca')?.address).toBeTruthy();
  });

  for (const role of ['economics', 'technician', 'leader', 'admin', 'province'] as const)
    it(`gives ${role} their hamlet's centre instead, without an address; public buildings stay put`, async () => {
      const communes = await get<Array<{ id: string; sites: Site[] }>>(role, '/api/communes');
      const sites = communes.find((c) => c.id === 'ta-lai')!.sites;
      const secret = sites.filter((s) => s.kind === 'key-point' || s.kind === 'police-post');
      // The police post holds a line and a firewall everyone else may see: it is listed, not placed.
      expect(secret.some((s) => s.id === 'tl-ca')).toBe(true);
      for (const s of secret) {
        expect(s.approximate, s.id).toBe(true);
        expect(s.address, s.id).toBeUndefined();
        const real = truth(s.id).location;
        expect(s.location.lat !== real.lat || s.location.lon !== real.lon, s.id).toBe(true);
      }
      const ubnd = sites.find((s) => s.kind === 'ubnd')!;
      expect(ubnd.approximate).toBe(false);
      expect(ubnd.location.lat).toBe(truth(ubnd.id).location.lat);
      // The device list says the same of each device's place.
      const devices = await get<
        Array<{ siteKind: string; siteId: string; location: { lat: number; lon: number } }>
      >(role, '/api/devices');
      for (const d of devices.filter((x) => x.siteKind === 'key-point' || x.siteKind === 'police-post')) {
        const real = truth(d.siteId)?.location;
        if (real) expect(d.location.lat === real.lat && d.location.lon === real.lon, d.siteId).toBe(false);
      }
    });
});
