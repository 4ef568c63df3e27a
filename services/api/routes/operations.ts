import { z } from 'zod';
import { TOPIC_ROOT } from '../../protocol/topics.ts';
import { route } from '../route.ts';
import { inScope, seesIngestOf } from '../visibility.ts';

export const operationsRoutes = [
  route({
    method: 'get',
    path: '/api/ingest/stats',
    access: ['technician', 'admin'],
    tag: 'operations',
    summary:
      'Messages accepted and rejected (by reason and device), redeliveries skipped as already stored, store health and held acknowledgements, messages stored straight while the store kept up, QoS 0 refused and QoS 1 parked under overload, spool depth and fill, replay progress, broker refusals.',
    handle({ deps, user }) {
      const s = deps.ingest.stats();
      // Totals, store, spool and broker are the server's; per-device figures only for the devices
      // of the user's commune their role may see (seesIngestOf), and `visible` sums those.
      const mine = (deviceId: string) => seesIngestOf(deps, user!, deviceId);
      const rejectsByReason = deps.rejects.counts().filter((r) => mine(r.deviceId));
      const acceptedByDevice = Object.fromEntries(
        [...deps.ingest.acceptedByDevice].filter(([id]) => mine(id)),
      );
      return {
        // Since this process started (sinceTs), for the whole server.
        sinceTs: deps.startedTs,
        accepted: s.accepted,
        rejected: s.rejected,
        // QoS 1 messages delivered again (DUP), and those of them skipped as already durable.
        redelivered: s.redelivered,
        duplicatesSkipped: s.duplicatesSkipped,
        // QoS 0 messages refused, counted, while the store was far behind (overload pushback).
        overloadRefusedQos0: s.overloadRefusedQos0,
        // QoS 1 messages that waited in memory, unacknowledged, for the store to catch up (ever,
        // and now): none is refused, its sender is slowed.
        overloadParkedQos1: s.overloadParkedQos1,
        parkedQos1: s.parkedQos1,
        // Messages without their own ts, stamped at receipt; moved: stamped past their receive ms so
        // that no two messages of a device share a key (refused ones: reject too-fast-without-ts).
        receiveStamped: s.receiveStamped,
        receiveStampsMoved: s.receiveStampsMoved,
        batches: s.store.batches,
        rejectsByReason,
        acceptedByDevice,
        // The user's share: accepted since the start, and every refusal ever counted in
        // rejectsByReason (its rows summed, so a total and its list always agree).
        visible: {
          communeId: user!.communeId,
          accepted: Object.values(acceptedByDevice).reduce((a, n) => a + n, 0),
          refused: rejectsByReason.reduce((a, r) => a + r.count, 0),
        },
        store: s.store,
        // Messages stored without a spool row while the store kept up (null: every message is
        // spooled, as in external-broker mode), and those whose direct write failed and went to it.
        directLane: s.directLane,
        spool: s.spool,
        broker: deps.brokerStats(),
        ...(deps.ioc ? { ioc: deps.ioc.stats() } : {}),
      };
    },
  }),
  route({
    method: 'get',
    path: '/api/ingest/rejects',
    access: ['technician', 'admin', 'police'],
    tag: 'operations',
    summary: 'The latest refused messages with their reason (payloads are not returned).',
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
    handle({ deps, user, query }) {
      // Refusals that name no device of ours (unknown clients, bad topics) go to those who run the
      // broker; a known device's refusals only to those who may see that device. A row may name
      // up to three (publisher, client id, the topic's device: a device writing on a camera's
      // topic): the user must see every one, or the row would leak an id.
      return deps.rejects.latest(query.limit, (r) => {
        if (r.communeId !== null && !inScope(user!, r.communeId)) return false;
        const named = [r.deviceId, r.clientId, topicDevice(r.topic)].filter(
          (id): id is string => typeof id === 'string' && deps.directory.get(id) !== undefined,
        );
        return named.length > 0
          ? named.every((id) => seesIngestOf(deps, user!, id))
          : seesIngestOf(deps, user!, null);
      });
    },
  }),
  route({
    method: 'get',
    path: '/api/audit',
    access: ['admin'],
    tag: 'operations',
    summary: 'Who read sensitive data (camera status and history) or changed maintenance, newest first.',
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
    handle: ({ deps, user, query }) => deps.audit.latest(query.limit, user!.communeId ?? undefined),
  }),
];

/** The device segment of one of our topics, also of a refused one (cmd/…, wildcards). */
function topicDevice(topic: string | null): string | null {
  return topic?.startsWith(`${TOPIC_ROOT}/`) ? (topic.split('/')[3] ?? null) : null;
}
