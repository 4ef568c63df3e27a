import type { Database } from 'better-sqlite3';
import type { StepResult, WriteStep } from './write-thread.ts';

/** A connection with its prepared statements and transaction wrappers (run-steps.mjs). */
export interface Conn {
  readonly db: Database;
  /** The steps in one transaction (BEGIN DEFERRED). */
  inTransaction(steps: readonly WriteStep[]): StepResult[];
  /** The steps in one transaction that takes the write lock at BEGIN (BEGIN IMMEDIATE). */
  inImmediateTransaction(steps: readonly WriteStep[]): StepResult[];
}

export function connFor(db: Database): Conn;
export function runSteps(c: Conn, steps: readonly WriteStep[]): StepResult[];
