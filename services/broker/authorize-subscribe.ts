import type { AedesOptions } from 'aedes';
import { commandTopicFilter } from '../protocol/topics.ts';
import type { HookContext } from './hook-context.ts';

/**
 * Subscribe ACL: a device may listen only to its own command tree, cx/v1/{commune}/{device}/cmd/…
 * (the filter from commandTopicFilter, or a narrower one under it). Everything else is answered
 * with the 0x80 failure code for that one filter in SUBACK (§3.9.3; one code per filter,
 * [MQTT-3.8.4-5]); aedes sends 0x80 when the hook yields no subscription. The connection stays up, unlike a refused publish, since the
 * protocol has a way to say no here. Readings flow to the service in-process, never to devices.
 */
export function makeAuthorizeSubscribe(ctx: HookContext): NonNullable<AedesOptions['authorizeSubscribe']> {
  return (client, sub, callback) => {
    const device = ctx.directory.get(client.id);
    const own = device ? commandTopicFilter(device.communeId, device.id) : null;
    // `cx/v1/c/d/cmd/#` minus the `#`: any filter starting with this prefix, wildcards included,
    // can match only topics inside the device's own tree.
    const prefix = own?.slice(0, -1);
    if (device && prefix && sub.topic.startsWith(prefix) && sub.topic.length > prefix.length)
      return callback(null, sub);
    ctx.refuse('forbidden-subscribe', {
      deviceId: device?.id,
      clientId: client.id,
      topic: sub.topic,
      detail: own ? `may subscribe only under ${own}` : 'subscriber is no known device',
    });
    callback(null, null);
  };
}
