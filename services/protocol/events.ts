/**
 * Event types that more than one side of the wire must agree on (the document shape is
 * `EventDoc`, payloads.ts).
 */

/**
 * A loudspeaker, or its controller reporting for it, played a bulletin. Detail: `broadcastId`
 * (the schedule's id, optional: none counts for whatever aired), `startedTs` (epoch ms UTC),
 * `durationSec`. Sent over MQTT by the controller or by the `play-status` probe that reads the
 * controller's status page; services/broadcasts judges both alike.
 */
export const PLAYED_EVENT = 'broadcast-played';
