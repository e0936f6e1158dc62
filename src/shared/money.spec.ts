import { divCeil, divFloor, formatMicros, formatScaled, parseMicros, parseScaled } from './money';

describe('money', () => {
  it.each([
    ['0', 0n], ['1', 1_000_000n], ['0.09', 90_000n], ['12.345678', 12_345_678n], ['-3.5', -3_500_000n],
    ['999999999999.999999', 999_999_999_999_999_999n],
  ])('should parse %s as %s micros', (text, micros) => {
    expect(parseMicros(text)).toBe(micros);
  });

  it.each(['1.0000001', '1e3', 'NaN', '', ' 1', '1.', '.5', '+1', '0x10', '1,5'])('should refuse %p', (text) => {
    expect(parseMicros(text)).toBeUndefined();
  });

  it.each([
    [0n, '0.00'], [90_000n, '0.09'], [1_000_000n, '1.00'], [1n, '0.000001'], [-2_500_000n, '-2.50'], [12_345_678n, '12.345678'],
  ])('should format %s micros as %s', (micros, text) => {
    expect(formatMicros(micros)).toBe(text);
  });

  it('should round-trip minutes at 4 digits', () => {
    expect(formatScaled(parseScaled('33.3333', 4)!, 4)).toBe('33.3333');
    expect(formatScaled(1_000_000n, 4)).toBe('100');
  });

  it.each([
    [7n, 2n, 4n, 3n], [6n, 2n, 3n, 3n], [0n, 5n, 0n, 0n], [-7n, 2n, -3n, -4n],
  ])('should divide %s by %s rounding up to %s and down to %s', (n, d, up, down) => {
    if (n >= 0n) expect(divCeil(n, d)).toBe(up);
    expect(divFloor(n, d)).toBe(down);
  });
});
