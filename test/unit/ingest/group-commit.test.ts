import { describe, expect, it } from 'vitest';
import { GROUP_MAX, GroupCommit } from '../../../services/ingest/spool/group-commit.ts';
import { createLogger } from '../../../services/shared/logger.ts';
import { waitFor } from '../../setup/helpers.ts';

const log = createLogger({ level: 'silent' });
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** A commit whose answer the test gives: the groups it was sent, and a way to answer the oldest. */
function controlledCommit() {
  const groups: number[][] = [];
  const answers: Array<(ok: boolean) => void> = [];
  return {
    groups,
    commit: (entries: readonly number[]) => {
      groups.push([...entries]);
      return new Promise<boolean>((r) => answers.push(r));
    },
    answer: (ok = true) => answers.shift()!(ok),
  };
}

describe('group commit', () => {
  it('sends what arrives while a commit is on its way as one group once it is answered', async () => {
    const c = controlledCommit();
    const group = new GroupCommit(c.commit, log);
    const told: Array<[number, boolean]> = [];
    const add = (n: number) => group.add(n, (ok) => told.push([n, ok]));
    add(1);
    await nextTurn();
    expect(c.groups).toEqual([[1]]);
    // Three more messages in three later turns, all while the first commit is out.
    for (const n of [2, 3, 4]) {
      add(n);
      await nextTurn();
    }
    expect(c.groups).toEqual([[1]]);
    c.answer();
    await waitFor(() => c.groups.length === 2, 'the second group');
    expect(c.groups[1]).toEqual([2, 3, 4]);
    c.answer();
    await group.flush();
    expect(told).toEqual([
      [1, true],
      [2, true],
      [3, true],
      [4, true],
    ]);
  });

  it('does not wait once GROUP_MAX rows are queued, and a flush sends at once', async () => {
    const c = controlledCommit();
    const group = new GroupCommit(c.commit, log);
    group.add(0, () => {});
    await nextTurn();
    for (let n = 1; n <= GROUP_MAX; n++) group.add(n, () => {});
    expect(c.groups.map((g) => g.length)).toEqual([1, GROUP_MAX]);
    group.add(-1, () => {});
    const flushed = group.flush();
    expect(c.groups.map((g) => g.length)).toEqual([1, GROUP_MAX, 1]);
    c.answer();
    c.answer();
    c.answer(false);
    await flushed;
  });

  it('tells the callers their rows are not durable when the commit throws', async () => {
    const group = new GroupCommit<number>(() => Promise.reject(new Error('writer thread gone')), log);
    const told: boolean[] = [];
    group.add(1, (ok) => told.push(ok));
    await group.flush();
    expect(told).toEqual([false]);
  });
});
