import type { Ingest } from './ingest.ts';

/** Ingest's figures: messages accepted, rejected and redelivered, and the store's and spool's health. */
export type IngestFigures = ReturnType<Ingest['stats']>;

/**
 * What the API needs of ingest: its figures, read at each request. Embedded mode: the Ingest
 * itself. External-broker mode: ClusterIngestStats (services/ingest/external/cluster-view.ts),
 * the sum over the shards this process holds.
 */
export interface IngestStats {
  /** Counters since this process started (not persisted), and the store's and spool's health now. */
  stats(): IngestFigures;
  /** Messages accepted per device id since this process started. */
  readonly acceptedByDevice: ReadonlyMap<string, number>;
}
