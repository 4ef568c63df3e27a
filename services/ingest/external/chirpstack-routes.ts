import type { Config } from '../../../config/load.ts';
import { parseChirpStackTopic } from '../../protocol/chirpstack-topics.ts';

/** What a shard does with a ChirpStack event it received (every shard subscribes to them all). */
export type ChirpStackRoute =
  /** Its application belongs to a network server account of this commune: ingest as that account. */
  | { readonly take: true; readonly publisherId: string }
  /** Another commune's, or an orphan that another shard reports: acknowledge and leave it. */
  | { readonly take: false };

/**
 * Who published a ChirpStack event, for the external-broker ingest. MQTT does not tell a
 * subscriber who published; with our broker's ACL (mosquitto-files.ts) only the network server
 * account whose `applicationIds` list the application may publish under it, so the application
 * names the publisher (config/lorawan.ts refuses an application given to two accounts).
 *
 * An application no account owns should never arrive with our ACL; if the operator's broker lets
 * one through, the shard of the first commune (by id) takes it with no publisher, so the decoder
 * refuses it (unknown DevEUI, or an account not in the sensor's `reportedBy`) and it is counted
 * once, not once per commune. Its shard's directory holds only its commune, so a sensor of
 * another commune is an unknown DevEUI there.
 */
export function chirpStackRoutes(config: Pick<Config, 'communes'>, communeId: string) {
  const owners = new Map<string, { communeId: string; accountId: string }>();
  for (const c of config.communes)
    for (const d of c.devices)
      for (const app of d.applicationIds ?? []) owners.set(app, { communeId: c.commune.id, accountId: d.id });
  const reportsOrphans = [...config.communes.map((c) => c.commune.id)].sort()[0] === communeId;
  return (topic: string): ChirpStackRoute => {
    const t = parseChirpStackTopic(topic);
    const owner = t ? owners.get(t.applicationId) : undefined;
    if (owner)
      return owner.communeId === communeId ? { take: true, publisherId: owner.accountId } : { take: false };
    return reportsOrphans ? { take: true, publisherId: '' } : { take: false };
  };
}
