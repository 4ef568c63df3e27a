import type { Socket } from 'node:net';
import type { AedesOptions, AuthenticateError, Client, ConnectPacket } from 'aedes';
import { topicFor } from '../protocol/topics.ts';
import { maskName, shownName } from '../shared/mask.ts';
import type { CoolDown } from './client-budget.ts';
import { CONNACK, type HookContext, type RefusalReason } from './hook-context.ts';

type Will = NonNullable<ConnectPacket['will']>;

/**
 * The CONNECT-time hooks. aedes hands `authenticate` only the user name and password, so
 * `preConnect` (which sees the whole CONNECT) keeps the will for it, keyed by client.
 */
export function makeConnectHooks(
  ctx: HookContext,
): Required<Pick<AedesOptions, 'preConnect' | 'authenticate'>> {
  const wills = new WeakMap<Client, Will | undefined>();

  const preConnect: AedesOptions['preConnect'] = (client, packet, callback) => {
    // MQTT 3.1.1 only. aedes itself answers protocol level 5 with CONNACK 0x01 [MQTT-3.1.2-2].
    // It accepts 3.1 ("MQIsdp", level 3), whose SUBACK has no 0x80 failure code, so a refused
    // subscription would look granted to such a client: we refuse it too. Setting the level to 0
    // makes aedes send the same CONNACK 0x01 and close, instead of a silent drop.
    if (packet.protocolVersion !== 4) {
      const detail = `protocol level ${packet.protocolVersion}; only MQTT 3.1.1 (level 4) is spoken`;
      const address = addressOf(client);
      const held = ctx.budget.addressCoolDown(address);
      if (held) ctx.rateLimited(held, { clientId: packet.clientId, detail });
      else {
        ctx.refuse('protocol-version', { clientId: packet.clientId, detail });
        ctx.budget.connectRefused(address);
      }
      if (packet.protocolVersion === 3) (packet as { protocolVersion: number }).protocolVersion = 0;
    }
    wills.set(client, packet.will);
    callback(null, true);
  };

  const authenticate: AedesOptions['authenticate'] = (client, username, password, reply) => {
    // mqtt-packet's parser keeps the CONNECT packet (for its protocol level) as long as the
    // connection lives, password included: once judged, the plain password is overwritten.
    const done: typeof reply = (err, ok) => {
      password?.fill(0);
      reply(err, ok);
    };
    const will = wills.get(client);
    wills.delete(client);
    const address = addressOf(client);
    // Before any password check: a client or address in cool-down costs a map lookup and an HMAC at most.
    const held = admit(ctx, client.id, username, password, address);
    if (held) {
      ctx.rateLimited(held, {
        deviceId: ctx.directory.get(client.id)?.id,
        clientId: client.id,
        detail: `CONNECT from ${address ?? 'unknown address'} refused`,
      });
      // 0x03 Server unavailable (§3.2.2.3): "try again later", which is what a cool-down means.
      // 0x04/0x05 would tell a device its credentials are wrong, and some give up for good on those.
      return done(authError(CONNACK.serverUnavailable, 'rate limited: cooling down'), false);
    }
    check(ctx, client.id, username, password, will).then(
      (refusal) => {
        if (!refusal) return done(null, true);
        ctx.refuse(refusal.reason, {
          deviceId: refusal.deviceId,
          clientId: client.id,
          detail: refusal.detail,
        });
        ctx.budget.connectRefused(address);
        done(authError(refusal.code, refusal.detail), false);
      },
      (err: unknown) => {
        // Our credential store failed, not the device: answer 0x03 Server unavailable (§3.2.2.3),
        // so a device with the right password is not told it is wrong.
        ctx.log.error({ err, deviceId: username }, 'credential check failed');
        done(authError(CONNACK.serverUnavailable, 'credential check failed'), false);
      },
    );
  };

  return { preConnect, authenticate };
}

interface ConnectRefusal {
  readonly reason: RefusalReason;
  readonly code: number;
  readonly detail: string;
  readonly deviceId?: string;
}

async function check(
  ctx: HookContext,
  clientId: string,
  username: string | undefined,
  password: Buffer | undefined,
  will: Will | undefined,
): Promise<ConnectRefusal | null> {
  const bad = CONNACK.badUserNameOrPassword;
  if (!username || !password || password.length === 0)
    return {
      reason: 'missing-credentials',
      code: bad,
      detail: 'CONNECT carries no user name or no password',
    };
  const device = ctx.directory.get(username);
  // Unknown user and wrong password both answer 0x04, so the return code does not say which ids exist.
  if (!device)
    return {
      reason: 'unknown-client',
      code: bad,
      // Masked: a password typed into the user-name field lands here, and this detail is kept.
      detail: `user name ${maskName(username)} is no device of any commune`,
    };
  if (!(await ctx.credentials.verify(device.id, password.toString('utf8'))))
    return { reason: 'bad-password', code: bad, deviceId: device.id, detail: 'password does not match' };
  // The client id must be the device id: otherwise a device holding valid credentials could
  // connect as another's client id and take over its session, which closes the victim's
  // connection [MQTT-3.1.4-2]. A client id the server does not allow is refused with 0x02
  // [MQTT-3.1.3-8]. This also refuses an empty client id, which aedes would replace by a random one.
  if (clientId !== device.id)
    return {
      reason: 'client-id-mismatch',
      code: CONNACK.identifierRejected,
      deviceId: device.id,
      detail: `client id "${shownName(clientId, ctx.directory.get(clientId) !== undefined)}" is not the user name "${device.id}"`,
    };
  if (will) {
    // A will is published by the broker on the device's behalf when it vanishes, so it obeys the
    // same ACL as a publish, narrowed to the one topic a will has a meaning on.
    const own = topicFor(device.communeId, device.id, 'status');
    if (will.topic !== own)
      return {
        reason: 'forbidden-will',
        code: CONNACK.notAuthorized,
        deviceId: device.id,
        detail: `will topic "${will.topic}" is not ${own}`,
      };
    const size = will.payload?.length ?? 0;
    if (size > ctx.maxPayloadBytes)
      return {
        reason: 'forbidden-will',
        code: CONNACK.notAuthorized,
        deviceId: device.id,
        detail: `will payload is ${size} bytes, over ${ctx.maxPayloadBytes}`,
      };
  }
  return null;
}

/**
 * The cool-down refusing this CONNECT, if any (see ClientBudget.admitConnect). A password matching
 * the device's last accepted one in memory is "proven": guesses naming the device, or a flood from
 * the address its commune shares, then cannot lock it out. A device not proven yet (none since the
 * start) is let past its address's cool-down to the password check, which costs what its stored
 * hash costs (hashCost): the budget decides how many of those it affords.
 */
function admit(
  ctx: HookContext,
  clientId: string,
  username: string | undefined,
  password: Buffer | undefined,
  address: string | undefined,
): CoolDown | null {
  const knownDevice = ctx.directory.get(clientId) !== undefined;
  const proven =
    knownDevice &&
    username === clientId &&
    password !== undefined &&
    ctx.credentials.provenFromMemory(clientId, password.toString('utf8'));
  const hashCost = () => (username === clientId ? ctx.credentials.hashCost(clientId) : null);
  return ctx.budget.admitConnect({ clientId, knownDevice, address, proven, hashCost });
}

function addressOf(client: Client): string | undefined {
  return (client.conn as Partial<Socket>).remoteAddress;
}

function authError(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}
