/**
 * Turns between tenants for table replays (docs/faults.md, "Replays take turns").
 *
 * A resume older than the hub's kept rows reads the table page by page. The replay pool
 * alone queues those pages first come, first served, per *stream*: an agency that resumes
 * 200 dashboards from an old cursor queues 200 pages ahead of another agency's one resume,
 * and again after each of them. Here each agency has its own queue and the agencies take
 * turns, one page each, so another tenant's resume waits for at most `concurrency` pages in
 * flight plus one page per agency with work queued, however long the busy agency's backlog.
 */
export class ReplayTurns {
  /**
   * Agencies with queued or running work. The next turn goes to the agency with queued work
   * whose last turn is the oldest (one that never had a turn first, in arrival order): an
   * agency that just ran waits behind every agency that was waiting, even one that queued
   * after it.
   */
  private readonly agencies = new Map<string, Agency>();
  private running = 0;
  private turns = 0;

  constructor(private readonly concurrency: number) {}

  /** Runs `task` when its agency's turn comes; resolves or rejects with the task. */
  run<T>(agencyId: string, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = this.agencies.get(agencyId) ?? this.agencies.set(agencyId, { queued: [], running: 0, lastTurn: -1 }).get(agencyId)!;
      entry.queued.push(() => {
        task().then(resolve, reject).finally(() => {
          this.running -= 1;
          entry.running -= 1;
          if (entry.running === 0 && entry.queued.length === 0 && this.agencies.get(agencyId) === entry) this.agencies.delete(agencyId);
          this.dispatch();
        });
      });
      this.dispatch();
    });
  }

  /** Tasks waiting for a turn (tests and metrics). */
  get waiting(): number {
    let count = 0;
    for (const entry of this.agencies.values()) count += entry.queued.length;
    return count;
  }

  private dispatch(): void {
    while (this.running < this.concurrency) {
      let next: Agency | undefined;
      for (const entry of this.agencies.values()) {
        if (entry.queued.length > 0 && (!next || entry.lastTurn < next.lastTurn)) next = entry;
      }
      if (!next) return;
      next.lastTurn = this.turns++;
      this.running += 1;
      next.running += 1;
      next.queued.shift()!();
    }
  }
}

interface Agency {
  queued: Array<() => void>;
  running: number;
  lastTurn: number;
}
