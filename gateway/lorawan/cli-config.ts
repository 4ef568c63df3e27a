/**
 * The LoRaWAN bridge's own file (`npm run lorawan-bridge -- --config FILE`): ChirpStack's broker to
 * read, ours to relay into as the network server account, and the disk buffer between them.
 * Validated at the edge like the gateway file: every problem, one per line, with file, path and fix.
 * Passwords are never in the file: an environment variable names each (or the secrets file for ours).
 */
import { dirname, relative, resolve } from 'node:path';
import { z } from 'zod';
import {
  type BrokerConnection,
  BrokerSchema,
  brokerConnection,
  GatewayConfigError,
  Id,
  password,
  readDoc,
  zodProblems,
} from '../runtime/config.ts';
import { tlsFileProblems, tlsRelativeTo } from '../runtime/tls.ts';
import { type BridgeConfig, BridgeConfigSchema } from './bridge.ts';

const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name');

const BridgeFileSchema = z.strictObject({
  /** The network server account: a gateway device (with applicationIds) of this commune. */
  communeId: Id,
  gatewayId: Id,
  broker: BrokerSchema,
  bufferFile: z.string().min(1).default('data/lorawan-bridge-buffer.sqlite'),
  bufferMaxRows: z.number().int().min(100).max(10_000_000).default(200_000),
  /** ChirpStack's broker, as BridgeConfigSchema, with its password named by `passwordEnv`. */
  chirpstack: BridgeConfigSchema.omit({ password: true }).extend({ passwordEnv: EnvName.optional() }),
});

export interface BridgeFileConfig {
  readonly communeId: string;
  readonly gatewayId: string;
  readonly broker: BrokerConnection;
  readonly bufferFile: string;
  readonly bufferMaxRows: number;
  readonly chirpstack: BridgeConfig;
}

const EXAMPLE = 'gateway/lorawan-bridge.example.yaml';

/** Reads and checks the bridge file; throws GatewayConfigError listing every problem. No env read after. */
export function loadBridgeConfig(file: string, env: NodeJS.ProcessEnv = process.env): BridgeFileConfig {
  const abs = resolve(file);
  const shown = relative(process.cwd(), abs) || abs;
  const parsed = BridgeFileSchema.safeParse(readDoc(abs, shown), { reportInput: true });
  if (!parsed.success) throw new GatewayConfigError(zodProblems(shown, parsed.error, [], EXAMPLE));
  const f = parsed.data;
  const problems: string[] = [];
  const ours = password(shown, dirname(abs), f, env, problems);
  const { passwordEnv, ...chirpstack } = f.chirpstack;
  let theirs: string | undefined;
  if (passwordEnv !== undefined) {
    theirs = env[passwordEnv];
    if (!theirs)
      problems.push(
        `${shown}: chirpstack.passwordEnv — ${passwordEnv} is not set. Fix: export ${passwordEnv} with the password of ChirpStack's MQTT integration user.`,
      );
  }
  if (passwordEnv !== undefined && chirpstack.username === undefined)
    problems.push(
      `${shown}: chirpstack.username — a password without a user name. Fix: add username (ChirpStack's MQTT integration user).`,
    );
  // Unreadable TLS files stop the start here, named, rather than at the first connect.
  const broker = brokerConnection(f.broker, ours, dirname(abs));
  if (broker.tls) problems.push(...tlsFileProblems(shown, broker.tls, 'broker.tls'));
  const tls = chirpstack.tls && tlsRelativeTo(chirpstack.tls, dirname(abs));
  if (tls) problems.push(...tlsFileProblems(shown, tls, 'chirpstack.tls'));
  if (problems.length > 0) throw new GatewayConfigError(problems);
  return Object.freeze({
    communeId: f.communeId,
    gatewayId: f.gatewayId,
    broker,
    bufferFile: resolve(dirname(abs), f.bufferFile),
    bufferMaxRows: f.bufferMaxRows,
    chirpstack: Object.freeze({
      ...chirpstack,
      ...(tls ? { tls } : {}),
      ...(theirs === undefined ? {} : { password: theirs }),
    }),
  });
}
