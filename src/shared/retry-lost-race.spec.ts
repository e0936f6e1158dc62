import { lostRace, retryLostRace } from './retry-lost-race';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });
const typeormError = (code: string) => Object.assign(new Error('query failed'), { driverError: { code } });

describe('lostRace', () => {
  it.each([
    ['deadlock', pgError('40P01'), true],
    ['serialization failure', pgError('40001'), true],
    ['deadlock wrapped by TypeORM', typeormError('40P01'), true],
    ['unique violation', pgError('23505'), false],
    ['admin shutdown', pgError('57P01'), false],
    ['no SQLSTATE', new Error('connection terminated'), false],
    ['not an error', null, false],
  ])('%s → %s', (_name, error, expected) => {
    expect(lostRace(error)).toBe(expected);
  });
});

describe('retryLostRace', () => {
  it('should run the work again after a lost race and return its result', async () => {
    const attempts: number[] = [];
    const result = await retryLostRace(async (attempt) => {
      attempts.push(attempt);
      if (attempt < 3) throw pgError('40P01');
      return 'posted';
    });
    expect(result).toBe('posted');
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('should throw any other failure at once', async () => {
    let runs = 0;
    await expect(
      retryLostRace(async () => {
        runs += 1;
        throw pgError('23505');
      }),
    ).rejects.toThrow('pg 23505');
    expect(runs).toBe(1);
  });

  it('should throw the last lost race after the maximum attempts', async () => {
    let runs = 0;
    await expect(
      retryLostRace(async () => {
        runs += 1;
        throw pgError('40001');
      }, 4),
    ).rejects.toThrow('pg 40001');
    expect(runs).toBe(4);
  });
});
