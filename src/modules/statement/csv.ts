/**
 * CSV cells and rows, RFC 4180: fields separated by commas, records ended by CRLF, a field
 * quoted when it holds a comma, a double quote, CR or LF (its quotes doubled).
 *
 * Spreadsheet formula injection (OWASP "CSV Injection"): a text cell that starts with `=`, `+`,
 * `-`, `@`, TAB or CR is run as a formula by Excel, LibreOffice and Google Sheets. Such a cell is
 * prefixed with a single quote, which spreadsheets show as text and do not display. Applied to
 * every text cell that carries client-chosen data (names, emails); the figures this API writes
 * itself (decimal numbers such as `-2.10`, ISO dates, ids) go through `numberCell` unchanged,
 * so a negative balance stays a number in the sheet.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function quoteCell(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A text cell: neutralised against formulas, then quoted as needed. */
export function textCell(value: string): string {
  return quoteCell(FORMULA_START.test(value) ? `'${value}` : value);
}

/** A value this API produced (a decimal, a date, an id, a boolean): only ever checked, never altered. */
export function numberCell(value: string): string {
  if (!/^-?[0-9A-Za-z.:_\-]+$/.test(value)) throw new RangeError(`not a plain value: ${JSON.stringify(value)}`);
  return value;
}

export const csvRow = (cells: readonly string[]): string => cells.join(',') + '\r\n';
