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

/**
 * A plot was watered: an irrigation controller, or a soil node that drives a valve, on a farm
 * site reports each run. Detail: `durationMin`, `volumeL` (optional), `startedTs` (epoch ms UTC,
 * optional: the event's own time otherwise). The economics office's page lists a plot's recent
 * runs beside its moisture (services/soil/irrigation.ts).
 */
export const IRRIGATION_EVENT = 'irrigation';
