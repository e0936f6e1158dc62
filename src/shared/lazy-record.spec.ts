import { lazyRecord } from './lazy-record';

describe('lazyRecord', () => {
  it('builds a value on its first read only, from the record’s own argument, and keeps it', () => {
    const built: string[] = [];
    const factories = {
      a: (prefix: string) => (built.push(`a:${prefix}`), { name: `${prefix}-a` }),
      b: (prefix: string) => (built.push(`b:${prefix}`), { name: `${prefix}-b` }),
    };
    const create = lazyRecord<string, typeof factories>(factories);
    const first = create('one');
    const second = create('two');
    expect(built).toEqual([]);
    const a = first.a;
    expect(a).toEqual({ name: 'one-a' });
    expect(first.a).toBe(a);
    expect(second.a).toEqual({ name: 'two-a' });
    expect(second.a).not.toBe(a);
    expect(built).toEqual(['a:one', 'a:two']);
  });
});
