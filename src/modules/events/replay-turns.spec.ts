import { ReplayTurns } from './replay-turns';

/** A task that finishes when the test says so, recording when it started. */
function gate(log: string[], label: string) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { task: () => (log.push(label), opened.then(() => label)), open };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ReplayTurns', () => {
  it('should let another agency in after one page of a busy agency, not after its whole queue', async () => {
    const turns = new ReplayTurns(1);
    const started: string[] = [];
    const busy = Array.from({ length: 50 }, (_, i) => gate(started, `busy-${i}`));
    const busyDone = busy.map((g) => turns.run('busy', g.task));
    const other = gate(started, 'other');
    const otherDone = turns.run('other', other.task);
    expect(turns.waiting).toBe(50); // busy-0 runs, 49 of busy and 1 of other wait
    busy[0].open();
    await busyDone[0];
    await settle();
    expect(started).toEqual(['busy-0', 'other']);
    other.open();
    await expect(otherDone).resolves.toBe('other');
    for (const g of busy) g.open();
    await expect(Promise.all(busyDone)).resolves.toHaveLength(50);
    expect(started.slice(2)).toEqual(busy.slice(1).map((_, i) => `busy-${i + 1}`)); // each agency's own order kept
  });

  it('should rotate between three agencies page by page and run at most `concurrency` at once', async () => {
    const turns = new ReplayTurns(2);
    const started: string[] = [];
    let inFlight = 0;
    let most = 0;
    const task = (label: string) => async () => {
      started.push(label);
      inFlight += 1;
      most = Math.max(most, inFlight);
      await settle();
      inFlight -= 1;
      return label;
    };
    const all: Array<Promise<string>> = [];
    for (let i = 0; i < 3; i++) for (const agency of ['a', 'b', 'c']) if (agency === 'a' || i < 2) all.push(turns.run(agency, task(`${agency}${i}`)));
    // Queued a0 b0 c0 a1 b1 c1 a2 in that order; a also has a third page.
    await Promise.all(all);
    expect(most).toBe(2);
    expect(started).toEqual(['a0', 'b0', 'c0', 'a1', 'b1', 'c1', 'a2']);
  });

  it('should pass a failed task its error and go on with the others', async () => {
    const turns = new ReplayTurns(1);
    const failing = turns.run('a', async () => {
      throw new Error('connection lost');
    });
    const next = turns.run('b', async () => 'b');
    await expect(failing).rejects.toThrow('connection lost');
    await expect(next).resolves.toBe('b');
    expect(turns.waiting).toBe(0);
  });
});
