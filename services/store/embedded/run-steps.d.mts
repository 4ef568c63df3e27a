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

/** Opens `file` (and its folder) with `pragmas`, closing it again if one fails. */
export function openConn(file: string, pragmas: readonly string[]): Conn;
export function runSteps(c: Conn, steps: readonly WriteStep[]): StepResult[];
