/**
 * A strict RFC 4180 parser for tests (no CSV library is a dependency): every record ends with
 * CRLF, including the last; a field is either unquoted (no `"`, CR or LF in it) or quoted, with
 * inner quotes doubled and the closing quote followed by a comma or the record's end; every
 * record has as many fields as the first. Anything else throws, naming the offset.
 */
export function parseCsvStrict(text: string): string[][] {
  const records: string[][] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`not RFC 4180 at offset ${i}: ${why} (${JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))})`);
  };
  while (i < text.length) {
    const record: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i += 1;
        for (;;) {
          if (i >= text.length) fail('unterminated quoted field');
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
            } else {
              i += 1;
              break;
            }
          } else {
            field += text[i];
            i += 1;
          }
        }
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
          if (text[i] === '"') fail('a quote inside an unquoted field');
          field += text[i];
          i += 1;
        }
      }
      record.push(field);
      if (text[i] === ',') {
        i += 1;
        continue;
      }
      if (text[i] === '\r' && text[i + 1] === '\n') {
        i += 2;
        break;
      }
      fail(i >= text.length ? 'the last record does not end with CRLF' : 'expected a comma or CRLF after a field');
    }
    if (records.length > 0 && record.length !== records[0].length) fail(`a record of ${record.length} fields, the header has ${records[0].length}`);
    records.push(record);
  }
  return records;
}
