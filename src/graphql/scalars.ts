import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/**
 * Exact decimal strings. Accepted only as strings (a JSON number has already been through
 * a float by the time it reaches us), at most 12 integer and 6 fractional digits, no
 * exponent, no NaN/Infinity. The parsed value stays a string; services turn it into
 * scaled bigints with the precision their field allows.
 */
const DECIMAL = /^-?\d{1,12}(\.\d{1,6})?$/;

function parseDecimal(value: unknown): string {
  if (typeof value !== 'string') {
    throw new GraphQLError('Decimal must be sent as a string, e.g. "12.50" (numbers lose precision)', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  if (!DECIMAL.test(value)) {
    throw new GraphQLError(
      `"${value.slice(0, 40)}" is not a Decimal: use digits with an optional "-" and at most 6 fractional digits, up to 12 integer digits`,
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
  }
  return value;
}

export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'An exact decimal number as a string, e.g. "12.345678"; never a float.',
  serialize(value) {
    if (typeof value !== 'string') throw new GraphQLError('Decimal values are serialized from strings only');
    return value;
  },
  parseValue: parseDecimal,
  parseLiteral(ast) {
    return parseDecimal(ast.kind === Kind.STRING ? ast.value : undefined);
  },
});

/**
 * ISO-8601 instants with an explicit offset ("Z" or "+02:00"); serialized in UTC with milliseconds.
 * Dates without a zone are refused: "2026-01-01T00:00" means a different instant on every machine.
 */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Whether the written date and time exist: `Date` silently rolls "02-30" over to March and "T24:00" to the next day. */
function isRealDateTime(match: RegExpExecArray): boolean {
  const [year, month, day, hour] = match.slice(1, 5).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23;
}

function parseDateTime(value: unknown): Date {
  const match = typeof value === 'string' ? ISO_INSTANT.exec(value) : null;
  if (typeof value !== 'string' || !match) {
    throw new GraphQLError('DateTime must be an ISO-8601 string with a time zone, e.g. "2026-11-25T10:00:00.000Z"', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  const date = new Date(value);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || !isRealDateTime(match) || year < 1970 || year > 9999) {
    throw new GraphQLError(`"${value}" is not a valid instant between 1970 and 9999`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return date;
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 UTC instant, e.g. "2026-11-25T10:00:00.000Z".',
  serialize(value) {
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new GraphQLError('DateTime values must be Dates');
    return value.toISOString();
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    return parseDateTime(ast.kind === Kind.STRING ? ast.value : null);
  },
});
