import { execFileSync } from 'node:child_process';
import { pbkdf2Sync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../config/load.ts';
import { mosquittoAcl, mosquittoPasswordLine } from '../../../../services/ingest/external/mosquitto-files.ts';
import { DeviceDirectory } from '../../../../services/inventory/device-directory.ts';
import { SAMPLE_COMMUNES_DIR } from '../../../setup/app.ts';

function directory(): DeviceDirectory {
  const dir = mkdtempSync(join(tmpdir(), 'cx-mosq-'));
  try {
    writeFileSync(join(dir, 'canhxa.yaml'), `communesDir: ${JSON.stringify(SAMPLE_COMMUNES_DIR)}\n`);
    return new DeviceDirectory(loadConfig(join(dir, 'canhxa.yaml'), {}));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('mosquitto files', () => {
  it("writes $7$ hashes (PBKDF2-SHA512) that check out like mosquitto_passwd's", () => {
    const line = mosquittoPasswordLine('tl-cam-01', 'Mật-khẩu-123');
    const [user, hash] = line.split(':') as [string, string];
    const [, seven, iterations, salt, key] = hash.split('$');
    expect(user).toBe('tl-cam-01');
    expect(seven).toBe('7');
    expect(Buffer.from(salt!, 'base64')).toHaveLength(12);
    expect(
      pbkdf2Sync('Mật-khẩu-123', Buffer.from(salt!, 'base64'), Number(iterations), 64, 'sha512').toString(
        'base64',
      ),
    ).toBe(key);
  });

  it("matches the format of Debian's mosquitto_passwd", () => {
    if (!existsSync('/usr/bin/mosquitto_passwd'))
      throw new Error(
        'mosquitto_passwd not found. Install it: apt-get update && apt-get install -y mosquitto',
      );
    const dir = mkdtempSync(join(tmpdir(), 'cx-mosq-'));
    try {
      execFileSync('/usr/bin/mosquitto_passwd', ['-c', '-b', join(dir, 'pw'), 'u', 'p']);
      const theirs = readFileSync(join(dir, 'pw'), 'utf8').trim();
      const shape = (l: string) =>
        l.replace(/[A-Za-z0-9+/=]+/g, (m) => `<${Buffer.from(m, 'base64').length}>`);
      expect(shape(mosquittoPasswordLine('u', 'p'))).toBe(shape(theirs));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("mirrors our broker's ACL: own channels, devices a gateway reports for, own command tree, ingest reads all", () => {
    const dir = directory();
    const acl = mosquittoAcl(dir.all(), 'canhxa-ingest');
    const block = (user: string) =>
      acl
        .split('\n\n')
        .find((b) => b.startsWith(`user ${user}\n`))!
        .split('\n');
    expect(block('canhxa-ingest')).toEqual([
      'user canhxa-ingest',
      'topic read cx/v1/#',
      'topic read application/+/device/+/event/+',
    ]);
    expect(block('tl-cam-01')).toEqual([
      'user tl-cam-01',
      'topic write cx/v1/ta-lai/tl-cam-01/heartbeat',
      'topic write cx/v1/ta-lai/tl-cam-01/telemetry',
      'topic write cx/v1/ta-lai/tl-cam-01/event',
      'topic write cx/v1/ta-lai/tl-cam-01/status',
      'topic read cx/v1/ta-lai/tl-cam-01/cmd/#',
    ]);
    const gw = block('tl-gw-lora-01');
    expect(gw).toContain('topic write cx/v1/ta-lai/tl-soil-01/telemetry');
    expect(gw).not.toContain('topic read cx/v1/ta-lai/tl-soil-01/cmd/#');
    expect(acl).not.toMatch(/topic (write|readwrite) cx\/.*[#+]/);
  });

  it('lets a network server account publish ChirpStack events under its own applications only', () => {
    const acl = mosquittoAcl(directory().all(), 'canhxa-ingest');
    const writes = acl.split('\n').filter((l) => l.startsWith('topic write application/'));
    expect(writes).toEqual(['topic write application/6f1d3c2a-5b7e-4a19-9c3d-2e8f0a4b7c61/device/+/event/+']);
    const owner = acl.split('\n\n').find((b) => b.includes(writes[0]!))!;
    expect(owner.split('\n')[0]).toBe('user lt-gw-lora-01');
  });

  it('grants a reporter its devices, and nothing to what a device only depends on', () => {
    const acl = mosquittoAcl(directory().all(), 'canhxa-ingest');
    const writes = (user: string) =>
      acl
        .split('\n\n')
        .find((b) => b.startsWith(`user ${user}\n`))!
        .split('\n')
        .filter((l) => l.startsWith('topic write '))
        .map((l) => l.split('/')[3]);
    // The LoRa gateway reports for its sensors (reportedBy) and they depend on it (dependsOn).
    expect(new Set(writes('tl-gw-lora-01'))).toEqual(
      new Set(['tl-gw-lora-01', ...[1, 2, 3, 4, 5, 6].map((n) => `tl-soil-0${n}`)]),
    );
    // The LAN switch a camera depends on (dependsOn only) may not publish for it.
    expect(new Set(writes('tl-lan-ubnd'))).toEqual(new Set(['tl-lan-ubnd']));
    expect(new Set(writes('tl-cam-02'))).toEqual(new Set(['tl-cam-02']));
  });
});
