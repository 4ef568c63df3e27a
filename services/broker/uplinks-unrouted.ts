import type { Aedes } from 'aedes';

/**
 * Keeps aedes from routing what a client publishes. Here every publish a client may make is an
 * uplink (authorize-publish.ts: its own heartbeat, telemetry, event or status, or a ChirpStack
 * application's events), taken by the ingest before it is acknowledged, and a client may subscribe
 * only to its own cmd tree, where no client may publish (authorize-subscribe.ts). So aedes's
 * routing of a client's publish (retained store, a topic match for offline sessions and one for
 * online ones, a state object and two promises, some 5 µs a message at 2,000 msg/s, #15) can never
 * reach a subscriber. The broker's own publishes (its $SYS notices; the service's, should it ever
 * send commands) go through it as before.
 *
 * A retained `status` is then not kept by aedes either: nobody could ever have read it here; an
 * external broker (ingest/external) keeps its own.
 */
export function leaveUplinksUnrouted(aedes: Aedes): void {
  const route = aedes.publish.bind(aedes) as RoutePublish;
  (aedes as unknown as { publish: RoutePublish }).publish = (packet, client, done) => {
    if (typeof client === 'function' || client == null) return route(packet, client, done);
    // Later, as aedes's routing answers: a publish answered in its own call would let the next
    // packet of the same socket read be handled inside it, one stack frame deeper per read.
    process.nextTick(done ?? noop);
  };
}

type RoutePublish = (packet: unknown, client?: unknown, done?: (err?: Error | null) => void) => void;

function noop(): void {}
