import { accessSync, constants, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IClientOptions } from 'mqtt';
import { z } from 'zod';

/**
 * TLS towards an MQTT broker whose certificate a private CA signed (a commune's own server, a
 * province's cluster, ChirpStack's broker): the CA to trust, and our client certificate if the
 * broker asks for one. PEM files, read when connecting so a renewed CA needs only a restart.
 */
export const TlsSchema = z.strictObject({
  caFile: z.string().min(1).optional(),
  certFile: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
  /** Off only to try a test broker: it accepts any certificate, so anyone on the path can listen. */
  rejectUnauthorized: z.boolean().default(true),
});
export type TlsSettings = z.infer<typeof TlsSchema>;

/** mqtt.js options for `tls`; none when it is not given (the system's CAs then apply to mqtts://). */
export function tlsClientOptions(tls: TlsSettings | undefined): IClientOptions {
  if (!tls) return {};
  return {
    ...(tls.caFile ? { ca: readPem(tls.caFile, 'caFile') } : {}),
    ...(tls.certFile ? { cert: readPem(tls.certFile, 'certFile') } : {}),
    ...(tls.keyFile ? { key: readPem(tls.keyFile, 'keyFile') } : {}),
    rejectUnauthorized: tls.rejectUnauthorized,
  };
}

function readPem(file: string, field: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(
      `tls.${field}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? err}); fix the path or the file's permissions`,
    );
  }
}

/** The same settings with their files resolved against the folder of the file that named them. */
export function tlsRelativeTo(tls: TlsSettings, dir: string): TlsSettings {
  const out: TlsSettings = { rejectUnauthorized: tls.rejectUnauthorized };
  if (tls.caFile) out.caFile = resolve(dir, tls.caFile);
  if (tls.certFile) out.certFile = resolve(dir, tls.certFile);
  if (tls.keyFile) out.keyFile = resolve(dir, tls.keyFile);
  return out;
}

/** A TLS file that cannot be read stops the start with its setting named, not the first reconnect. */
export function tlsFileProblems(shown: string, tls: TlsSettings, at: string): string[] {
  const files = { caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile };
  return Object.entries(files).flatMap(([field, file]) => {
    if (file === undefined) return [];
    try {
      accessSync(file, constants.R_OK);
      return [];
    } catch {
      return [
        `${shown}: ${at}.${field} — "${file}" cannot be read. Fix: point it at the PEM file, readable by the service's user.`,
      ];
    }
  });
}
