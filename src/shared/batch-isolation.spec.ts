import { isSharedFailure, runIsolated } from './batch-isolation';

/** A statement that fails with `code` whenever its group holds a bad item, recording what it ran. */
function fakeStatement(bad: Set<number>, code: string | null = 'P0001') {
  const statements: number[][] = [];
  const done = new Map<number, string>();
  const run = async (group: number[]) => {
    statements.push(group);
    if (group.some((item) => bad.has(item))) throw Object.assign(new Error('bad item'), code === null ? {} : { code });
    for (const item of group) done.set(item, 'ok');
  };
  const fail = (item: number, error: unknown) => done.set(item, (error as Error).message);
  return { statements, done, run, fail };
}

const items = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('runIsolated', () => {
  it.each([
    [1, []],
    [8, [3]],
    [128, [0]],
    [128, [127]],
    [100, [5, 50, 99]],
    [16, items(16)],
  ])('should settle every one of %i items and fail exactly the bad ones %j', async (n, badItems) => {
    const statement = fakeStatement(new Set(badItems));
    await runIsolated(items(n), statement.run, statement.fail);
    for (const item of items(n)) expect(statement.done.get(item)).toBe(badItems.includes(item) ? 'bad item' : 'ok');
    // Each item is written once, in the order given.
    const written = statement.statements.filter((group) => !group.some((item) => badItems.includes(item))).flat();
    expect(written).toEqual(items(n).filter((item) => !badItems.includes(item)));
  });

  it('should find one bad item among 128 in at most 2·log2(128) + 1 statements', async () => {
    const statement = fakeStatement(new Set([77]));
    await runIsolated(items(128), statement.run, statement.fail);
    expect(statement.statements.length).toBeLessThanOrEqual(15);
  });

  it.each([null, '08006', '42703', '57014', '53300', 'XX000'])('should not split a failure that is not an item’s (SQLSTATE %s), but throw it', async (code) => {
    const statement = fakeStatement(new Set([1]), code);
    await expect(runIsolated(items(4), statement.run, statement.fail)).rejects.toThrow('bad item');
    expect(statement.statements).toHaveLength(1);
  });

  it.each([
    [{ code: '22P05' }, false],
    [{ driverError: { code: 'P0001' }, code: 'P0001' }, false],
    [{ code: '23505' }, false],
    [new Error('Connection terminated unexpectedly'), true],
    [{ code: 'ECONNRESET' }, true],
    [{ code: '08003' }, true],
  ])('should tell shared failures from item failures: %j → %s', (error, shared) => {
    expect(isSharedFailure(error)).toBe(shared);
  });
});
