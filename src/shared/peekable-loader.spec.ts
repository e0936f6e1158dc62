import { PeekableLoader } from './peekable-loader';

describe('PeekableLoader', () => {
  const make = () => {
    const batches: string[][] = [];
    const loader = new PeekableLoader<string, string>(async (keys) => {
      batches.push([...keys]);
      return keys.map((k) => (k === 'bad' ? new Error('no row') : `row ${k}`));
    });
    return { loader, batches };
  };

  it('should answer a primed row at once, without a batch', () => {
    const { loader, batches } = make();
    loader.prime('a', 'primed a');
    expect(loader.now('a', (v) => v.toUpperCase())).toBe('PRIMED A');
    expect(batches).toEqual([]);
  });

  it('should load a row it does not hold, then answer it at once', async () => {
    const { loader, batches } = make();
    const first = loader.now('b', (v) => v);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toBe('row b');
    expect(loader.now('b', (v) => v)).toBe('row b');
    expect(batches).toEqual([['b']]);
  });

  it('should keep errors out of what it answers at once, and forget cleared rows', async () => {
    const { loader } = make();
    await expect(loader.now('bad', (v) => v)).rejects.toThrow('no row');
    const again = loader.now('bad', (v) => v);
    expect(again).toBeInstanceOf(Promise);
    await expect(again).rejects.toThrow('no row');
    loader.prime('c', 'primed c');
    loader.clear('c');
    expect(loader.now('c', (v) => v)).toBeInstanceOf(Promise);
    loader.prime('d', 'primed d');
    loader.clearAll();
    await expect(loader.now('d', (v) => v)).resolves.toBe('row d');
  });

  it('should not let a second prime replace the first, as DataLoader does not', async () => {
    const { loader } = make();
    loader.prime('e', 'first');
    loader.prime('e', 'second');
    expect(loader.now('e', (v) => v)).toBe('first');
    expect(await loader.load('e')).toBe('first');
  });
});
