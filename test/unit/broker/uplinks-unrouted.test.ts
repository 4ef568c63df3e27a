import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { leaveUplinksUnrouted } from '../../../services/broker/uplinks-unrouted.ts';
import { waitFor } from '../../setup/helpers.ts';

// A bare aedes (no ACLs) on a loopback port, so a subscription that the service's ACL would refuse
// can be made, and shows what the broker still routes.
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function brokerWith(unrouted: boolean): Promise<{ aedes: Aedes; url: string }> {
  const aedes = await Aedes.createBroker();
  if (unrouted) leaveUplinksUnrouted(aedes);
  const server = createServer(aedes.handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    await new Promise<void>((r) => aedes.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { aedes, url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function client(url: string, id: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { clientId: id, reconnectPeriod: 0 });
  closers.push(() => c.endAsync());
  return c;
}

describe('leaveUplinksUnrouted', () => {
  it("acknowledges a client's publishes without routing them; the broker's own still reach subscribers", async () => {
    const { aedes, url } = await brokerWith(true);
    const listener = await client(url, 'listener');
    const heard: string[] = [];
    listener.on('message', (topic) => heard.push(topic));
    await listener.subscribeAsync('t/#', { qos: 1 });
    const device = await client(url, 'device');
    // QoS 1 and 0, and many in one socket read: every one answered, none delivered.
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => device.publishAsync('t/up', `m${i}`, { qos: 1 })),
    );
    for (let i = 0; i < 2000; i++) device.publish('t/up0', `m${i}`, { qos: 0 });
    await device.publishAsync('t/fence', 'x', { qos: 1 });
    aedes.publish(
      { cmd: 'publish', topic: 't/down', payload: Buffer.from('cmd'), qos: 1, dup: false, retain: false },
      () => {},
    );
    await waitFor(() => heard.includes('t/down'), "the broker's own publish delivered");
    expect(heard).toEqual(['t/down']);
  });

  it('without it, the same publish would be routed (the test sees what it leaves out)', async () => {
    const { url } = await brokerWith(false);
    const listener = await client(url, 'listener');
    const heard: string[] = [];
    listener.on('message', (topic) => heard.push(topic));
    await listener.subscribeAsync('t/#', { qos: 1 });
    const device = await client(url, 'device');
    await device.publishAsync('t/up', 'm', { qos: 1 });
    await waitFor(() => heard.includes('t/up'), "the client's publish routed");
  });
});
