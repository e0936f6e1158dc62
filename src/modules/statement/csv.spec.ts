import { csvRow, numberCell, quoteCell, textCell } from './csv';

describe('CSV cells', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rhere', '"cr\rhere"'],
    ['', ''],
  ])('should quote %p as %p (RFC 4180)', (value, expected) => {
    expect(quoteCell(value)).toBe(expected);
  });

  it.each([
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tindent', "'\tindent"],
    ['\rcr', `"'\rcr"`],
    ['a=b', 'a=b'],
    ['Acme, Inc.', '"Acme, Inc."'],
  ])('should neutralise the text cell %p as %p', (value, expected) => {
    expect(textCell(value)).toBe(expected);
  });

  it('should pass the API\'s own figures unchanged and refuse anything else as a figure', () => {
    expect(numberCell('-2.10')).toBe('-2.10');
    expect(numberCell('2026-01-31T00:00:00.000Z')).toBe('2026-01-31T00:00:00.000Z');
    expect(() => numberCell('=1+1')).toThrow(RangeError);
    expect(() => numberCell('a,b')).toThrow(RangeError);
  });

  it('should end records with CRLF', () => {
    expect(csvRow(['a', '"b"'])).toBe('a,"b"\r\n');
  });
});
