import { z } from 'zod';
import { route } from '../route.ts';
import { inScope, visibleDevices } from '../visibility.ts';

export const operationsRoutes = [
  route({
    method: 'get',
    path: '/api/ingest/stats',
    access: ['technician', 'admin'],
    tag: 'operations',
    summary:
      'Messages accepted and rejected (by reason and device), redeliveries skipped as already stored, store health and held acknowledgements, spool depth and fill, replay progress, broker refusals.',
    handle({ deps, user }) {
      const s = deps.ingest.stats();
      // Totals, store, spool and broker are the server's; per-device figures only for the user's commune.
      const mine = (deviceId: string) => {
        const d = deps.directory.get(deviceId);
        return d === undefined || inScope(user!, d.communeId);
      };
      return {
        accepted: s.accepted,
        rejected: s.rejected,
        // QoS 1 messages delivered again (DUP), and those of them skipped as already durable.
        redelivered: s.redelivered,
        duplicatesSkipped: s.duplicatesSkipped,
        // Messages without their own ts, stamped at receipt; moved: stamped past their receive ms so
        // that no two messages of a device share a key (refused ones: reject too-fast-without-ts).
        receiveStamped: s.receiveStamped,
        receiveStampsMoved: s.receiveStampsMoved,
        batches: s.store.batches,
        rejectsByReason: deps.rejects.counts().filter((r) => mine(r.deviceId)),
        acceptedByDevice: Object.fromEntries([...deps.ingest.acceptedByDevice].filter(([id]) => mine(id))),
        store: s.store,
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
      const ids = new Set(visibleDevices(deps, user!).map((d) => d.id));
      // Refusals that name no device of ours (unknown clients, bad topics) go to those who run the
      // broker; a known device's refusals only to those who may see that device.
      const operator = user!.role !== 'police';
      return deps.rejects.latest(query.limit, (r) =>
        r.communeId !== null && !inScope(user!, r.communeId)
          ? false
          : r.deviceId !== null && deps.directory.get(r.deviceId)
            ? ids.has(r.deviceId)
            : operator,
      );
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
