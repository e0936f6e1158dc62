import fc from 'fast-check';
import {
  getNamedType, isEnumType, isInputObjectType, isInterfaceType, isLeafType, isListType, isNonNullType, isObjectType, isUnionType,
  type GraphQLArgument, type GraphQLField, type GraphQLInputType, type GraphQLNamedType, type GraphQLOutputType, type GraphQLSchema,
} from 'graphql';

/**
 * fast-check arbitraries built from the executable schema: every root field of Query,
 * Mutation and Subscription, with arguments of the right shape most of the time and of
 * every wrong shape some of the time, and small selections. A field added to the schema is
 * fuzzed without touching the test.
 */

export type RootKind = 'query' | 'mutation' | 'subscription';

export interface RootField {
  kind: RootKind;
  /** "Mutation.transferMinutes" */
  coordinate: string;
  field: GraphQLField<unknown, unknown>;
}

export interface GeneratedOperation {
  kind: RootKind;
  coordinate: string;
  query: string;
  variables: Record<string, unknown>;
  /** The response keys of the root fields (aliases included). */
  responseKeys: string[];
}

/** What the arbitraries draw ids and other known values from. */
export interface FuzzWorld {
  /** Global ids of every node type, of the caller's tenant and of others. */
  ids: string[];
}

export function rootFields(schema: GraphQLSchema): RootField[] {
  const roots: Array<[RootKind, ReturnType<GraphQLSchema['getQueryType']>]> = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ];
  return roots.flatMap(([kind, type]) =>
    type ? Object.values(type.getFields()).map((field) => ({ kind, coordinate: `${type.name}.${field.name}`, field })) : [],
  );
}

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

const OMIT = Symbol('omit');

const LONE_SURROGATES = ['\ud800', '\udfff', 'a\ud83d', '\udc00b', 'memo \ud800 memo'];
const ODD_TEXT = [
  '\u0000', 'a\u0000b', '\u202e', 'abc\u202edcba', '\u200f', '\u200b', '\ufeff', 'e\u0301', '\u{1F469}\u200d\u{1F469}\u200d\u{1F467}',
  '\u{10FFFF}', '\ufffe', '\r\n', '\t', ' ', '', '\u2028', '\u0085',
];
const HOSTILE_TEXT = [
  "'; DROP TABLE agencies; --", '%s%s%n', '${7*7}', '<script>alert(1)</script>', '=cmd|"/c calc"!A1', '../../etc/passwd', 'null',
  '__proto__', 'constructor', 'KICKSTART', 'AGENCY_LITE', 'AGENCY_UNLIMITED', 'PARTNER_LEGACY',
];

/** Text with unicode oddities (lone surrogates, NUL, bidi marks), hostile strings and long runs. */
export const textArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 16 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) },
  { weight: 2, arbitrary: fc.constantFrom(...LONE_SURROGATES) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_TEXT) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 6 }), fc.constantFrom(...LONE_SURROGATES, '\u0000', '\u202e'))
      .map(([text, odd]) => `${text}${odd}${text}`),
  },
  { weight: 1, arbitrary: fc.integer({ min: 201, max: 5_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 1, arbitrary: fc.emailAddress() },
);

/** Decimal strings of every shape, and JSON numbers where a decimal string is expected. */
export const decimalArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '0', '0.05', '1', '12.345678', '-0.01', '-5', '-1000000', '0.0000001', '1e3', '1E-2', 'NaN', 'Infinity', '-Infinity',
      '99999999999999999999999999', '9'.repeat(400), '-0', '00.1', '.5', '5.', '+1', '0x10', '\u0661\u0662', '1_000', ' 1', '1 ',
      '', '--1', '1.2.3', '1\u0000', '0.5\u202e',
    ),
  },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((n) => n.toString()) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: 0, max: 999_999 }))
      .map(([whole, fraction]) => `${whole}.${String(fraction).padStart(6, '0')}`),
  },
);

const intArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -5, max: 120 }) },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1.5, -0.5, 1e21, 86_401, 1001, '5', true) },
  { weight: 1, arbitrary: fc.integer() },
);

const booleanArb: fc.Arbitrary<unknown> = fc.oneof({ weight: 4, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom('true', 1, 0) });

const dateTimeArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '+275760-09-13T00:00:00.000Z', '2026-02-30T00:00:00Z', '2026-01-01',
      '2026-01-01T00:00:00', '1969-12-31T23:59:59Z', 'yesterday', '', '2026-01-01T00:00:00.000Z\u0000', 1767225600000, -1,
    ),
  },
);

/** Anything at all, including values nested thousands of levels deep. */
export const anyJsonArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 50, max: 3000 }), fc.boolean()).map(([depth, asArray]) => {
      let value: unknown = 'deep';
      for (let i = 0; i < depth; i += 1) value = asArray ? [value] : { a: value };
      return value;
    }),
  },
);

function idArb(world: FuzzWorld): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...world.ids) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'not-an-id', '', '!!', '0', '-1', 'QWdlbmN5Og', 'U3ViQWNjb3VudDox', '00000000-0000-0000-0000-000000000000',
        Buffer.from('SubAccount:00000000-0000-0000-0000-000000000000\u0000').toString('base64url'), 'x'.repeat(5000),
      ),
    },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: textArb },
    { weight: 1, arbitrary: fc.constantFrom(5, -1, 1.5, 2 ** 53) },
  );
}

function scalarArb(name: string, world: FuzzWorld): fc.Arbitrary<unknown> {
  switch (name) {
    case 'ID':
      return idArb(world);
    case 'String':
      return textArb;
    case 'Int':
      return intArb;
    case 'Float':
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), intArb);
    case 'Boolean':
      return booleanArb;
    case 'Decimal':
      return decimalArb;
    case 'DateTime':
      return dateTimeArb;
    default:
      return anyJsonArb;
  }
}

/** A value for an input type: mostly of the right shape, sometimes null, omitted or anything else. */
export function valueArb(type: GraphQLInputType, world: FuzzWorld, depth = 0): fc.Arbitrary<unknown> {
  const wrong = { weight: 1, arbitrary: anyJsonArb };
  if (depth > 4) return anyJsonArb;
  if (isNonNullType(type)) {
    return fc.oneof({ weight: 14, arbitrary: valueArb(type.ofType, world, depth) }, { weight: 1, arbitrary: fc.constant(null) });
  }
  if (isListType(type)) {
    const item = valueArb(type.ofType, world, depth + 1);
    return fc.oneof(
      { weight: 24, arbitrary: fc.array(item, { maxLength: 3 }) },
      { weight: 3, arbitrary: item },
      // Past any batch cap: the same item a thousand times and more.
      // Kept under the body limit: a small item (the body limit has its own raw case).
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.integer({ min: 1001, max: 1300 }), item.filter((v) => (JSON.stringify(v) ?? '').length <= 400))
          .map(([n, v]) => Array.from({ length: n }, () => v)),
      },
      { weight: 3, arbitrary: fc.constant(null) },
      { weight: 3, arbitrary: anyJsonArb },
    );
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    for (const field of fields) {
      const required = isNonNullType(field.type) && field.defaultValue === undefined;
      record[field.name] = fc.oneof(
        { weight: required ? 20 : 3, arbitrary: valueArb(field.type, world, depth + 1) },
        { weight: 1, arbitrary: fc.constant(OMIT) },
      );
    }
    const object = fc
      .tuple(fc.record(record), fc.option(fc.tuple(fc.constantFrom('unknownField', '__proto__', 'constructor', ''), anyJsonArb), { freq: 10 }))
      .map(([values, extra]) => {
        const result: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(values)) if (value !== OMIT) result[key] = value;
        if (extra) Object.defineProperty(result, extra[0], { value: extra[1], enumerable: true, writable: true, configurable: true });
        return result;
      });
    return fc.oneof({ weight: 12, arbitrary: object }, wrong, { weight: 1, arbitrary: fc.constant(null) });
  }
  if (isEnumType(type)) {
    const values = type.getValues().map((v) => v.name);
    return fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...values) },
      { weight: 1, arbitrary: fc.constantFrom(...values.map((v) => v.toLowerCase()), 'NOPE', '', 'BASIC\u0000') },
      wrong,
    );
  }
  return fc.oneof({ weight: 10, arbitrary: scalarArb(type.name, world) }, wrong);
}

// ---------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * A JS value as a GraphQL literal. Strings are JSON-escaped (valid GraphQL escapes); enum
 * values of the expected enum are written bare; object keys that are not GraphQL names are
 * dropped (they could not be written at all).
 */
export function literal(value: unknown, type?: GraphQLInputType, depth = 0): string {
  if (depth > 1000) return '"deep"';
  const named = type ? getNamedType(type) : undefined;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    if (named && isEnumType(named) && NAME.test(value) && !['true', 'false', 'null'].includes(value)) return value;
    return JSON.stringify(value);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '0';
  if (typeof value === 'boolean') return String(value);
  const itemType = type && isNonNullType(type) ? type.ofType : type;
  if (Array.isArray(value)) {
    const inner = itemType && isListType(itemType) ? itemType.ofType : itemType;
    return `[${value.map((v) => literal(v, inner, depth + 1)).join(', ')}]`;
  }
  const fields = itemType && isInputObjectType(itemType) ? itemType.getFields() : {};
  const entries = Object.entries(value as Record<string, unknown>).filter(([key]) => NAME.test(key));
  return `{${entries.map(([key, v]) => `${key}: ${literal(v, fields[key]?.type, depth + 1)}`).join(', ')}}`;
}

type ArgMode =
  | { mode: 'variable'; value: unknown }
  | { mode: 'inline'; value: unknown }
  | { mode: 'omit' }
  | { mode: 'wrongVariableType'; value: unknown; declared: string };

function argModeArb(arg: GraphQLArgument, world: FuzzWorld): fc.Arbitrary<ArgMode> {
  const value = valueArb(arg.type, world);
  const required = isNonNullType(arg.type);
  return fc.oneof(
    { weight: 14, arbitrary: value.map((v) => ({ mode: 'variable', value: v }) as ArgMode) },
    { weight: 5, arbitrary: value.map((v) => ({ mode: 'inline', value: v }) as ArgMode) },
    { weight: required ? 1 : 6, arbitrary: fc.constant({ mode: 'omit' } as ArgMode) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(value, fc.constantFrom('String', 'Int!', 'ID!', '[String]', 'Boolean!', 'Decimal', 'DateTime!', 'NoSuchType', '[[ID!]!]!'))
        .map(([v, declared]) => ({ mode: 'wrongVariableType', value: v, declared }) as ArgMode),
    },
  );
}

interface ArgsText {
  /** `(a: $v0, b: 5)` or '' */
  text: string;
  declarations: string[];
  variables: Record<string, unknown>;
}

function argsArb(field: GraphQLField<unknown, unknown>, world: FuzzWorld, prefix: string, allowVariables: boolean): fc.Arbitrary<ArgsText> {
  if (field.args.length === 0) return fc.constant({ text: '', declarations: [], variables: {} });
  return fc.tuple(...field.args.map((arg) => argModeArb(arg, world))).map((modes) => {
    const parts: string[] = [];
    const declarations: string[] = [];
    const variables: Record<string, unknown> = {};
    field.args.forEach((arg, i) => {
      const mode = modes[i];
      if (mode.mode === 'omit') return;
      if (mode.mode === 'inline' || !allowVariables) {
        parts.push(`${arg.name}: ${literal((mode as { value: unknown }).value, arg.type)}`);
        return;
      }
      const name = `${prefix}${arg.name}`;
      declarations.push(`$${name}: ${mode.mode === 'wrongVariableType' ? mode.declared : String(arg.type)}`);
      if (mode.value !== undefined) variables[name] = mode.value;
      parts.push(`${arg.name}: $${name}`);
    });
    return { text: parts.length ? `(${parts.join(', ')})` : '', declarations, variables };
  });
}

const selectionCache = new Map<string, fc.Arbitrary<string>>();

/**
 * A small selection set for an output type: `__typename`, the id where there is one, and up
 * to three more fields (with fuzzed arguments, inline), `depth` levels deep; inline fragments
 * on the possible types of interfaces and unions.
 */
export function selectionArb(schema: GraphQLSchema, type: GraphQLOutputType, world: FuzzWorld, depth: number): fc.Arbitrary<string> {
  const named: GraphQLNamedType = getNamedType(type);
  if (isLeafType(named)) return fc.constant('');
  const key = `${named.name}:${depth}`;
  const cached = selectionCache.get(key);
  if (cached) return cached;
  let arbitrary: fc.Arbitrary<string>;
  if (isInterfaceType(named) || isUnionType(named)) {
    const possible = schema.getPossibleTypes(named);
    const base = isInterfaceType(named) && named.getFields().id ? '__typename id' : '__typename';
    arbitrary =
      depth <= 0
        ? fc.constant(`{ ${base} }`)
        : fc
            .subarray([...possible], { maxLength: Math.min(3, possible.length) })
            .chain((types) =>
              types.length === 0
                ? fc.constant(`{ ${base} }`)
                : fc.tuple(...types.map((t) => selectionArb(schema, t, world, depth - 1))).map(
                    (parts) => `{ ${base} ${parts.map((p, i) => `... on ${types[i].name} ${p}`).join(' ')} }`,
                  ),
            );
  } else if (isObjectType(named)) {
    const fields = Object.values(named.getFields());
    const base = named.getFields().id ? '__typename id' : '__typename';
    arbitrary =
      depth <= 0
        ? fc.constant(`{ ${base} }`)
        : fc
            .subarray(fields.filter((f) => f.name !== 'id'), { maxLength: Math.min(3, fields.length - (named.getFields().id ? 1 : 0)) })
            .chain((chosen) =>
              chosen.length === 0
                ? fc.constant(`{ ${base} }`)
                : fc
                    .tuple(
                      ...chosen.map((f) =>
                        fc
                          .tuple(argsArb(f, world, '', false), selectionArb(schema, f.type, world, depth - 1))
                          .map(([args, selection]) => `${f.name}${args.text} ${selection}`),
                      ),
                    )
                    .map((parts) => `{ ${base} ${parts.join(' ')} }`),
            );
  } else {
    arbitrary = fc.constant('{ __typename }');
  }
  selectionCache.set(key, arbitrary);
  return arbitrary;
}

/**
 * The selection of a mutation payload: every payload field, so that the answer says whether
 * anything was changed (`userErrors` in full), each object field with a fuzzed selection.
 */
function payloadSelectionArb(schema: GraphQLSchema, type: GraphQLOutputType, world: FuzzWorld): fc.Arbitrary<string> {
  const named = getNamedType(type);
  if (!isObjectType(named) || !named.getFields().userErrors) return selectionArb(schema, type, world, 2);
  const fields = Object.values(named.getFields());
  return fc
    .tuple(
      ...fields.map((f) =>
        f.name === 'userErrors'
          ? fc.constant('userErrors { code message field }')
          : selectionArb(schema, f.type, world, 1).map((selection) => `${f.name} ${selection}`),
      ),
    )
    .map((parts) => `{ ${parts.join(' ')} }`);
}

/** One operation on one root field: `kind op($vars) { alias: field(args) { … } }`. */
export function operationArb(schema: GraphQLSchema, root: RootField, world: FuzzWorld): fc.Arbitrary<GeneratedOperation> {
  const selection = root.kind === 'mutation' ? payloadSelectionArb(schema, root.field.type, world) : selectionArb(schema, root.field.type, world, 2);
  return fc
    .tuple(argsArb(root.field, world, 'v_', true), selection, fc.option(fc.constantFrom('r', 'first', 'x_1'), { freq: 4 }))
    .map(([args, sel, alias]) => {
      const declarations = args.declarations.length ? `(${args.declarations.join(', ')})` : '';
      const key = alias ?? root.field.name;
      return {
        kind: root.kind,
        coordinate: root.coordinate,
        query: `${root.kind} Fuzz${declarations} { ${alias ? `${alias}: ` : ''}${root.field.name}${args.text} ${sel} }`,
        variables: args.variables,
        responseKeys: [key],
      };
    });
}

/**
 * The same operation's root field repeated under `count` aliases (an alias fan), or its
 * selection moved into a tree of named fragments where each fragment spreads the next one
 * `fan` times (a fragment tree): shapes the abuse limits must refuse or answer in bounded time.
 */
export function fanOut(operation: GeneratedOperation, count: number): GeneratedOperation {
  const open = operation.query.indexOf('{');
  const body = operation.query.slice(open + 1, operation.query.lastIndexOf('}')).trim();
  const unaliased = body.replace(/^[A-Za-z_][A-Za-z0-9_]*: /, '');
  const copies = Array.from({ length: count }, (_, i) => `f${i}: ${unaliased}`);
  return {
    ...operation,
    query: `${operation.query.slice(0, open)}{ ${copies.join(' ')} }`,
    responseKeys: copies.map((_, i) => `f${i}`),
  };
}

export function fragmentTree(operation: GeneratedOperation, rootTypeName: string, levels: number, fan: number): GeneratedOperation {
  const open = operation.query.indexOf('{');
  const body = operation.query.slice(open + 1, operation.query.lastIndexOf('}')).trim();
  const fragments = Array.from({ length: levels }, (_, i) =>
    i === levels - 1
      ? `fragment T${i} on ${rootTypeName} { ${body} }`
      : `fragment T${i} on ${rootTypeName} { ${Array.from({ length: fan }, () => `...T${i + 1}`).join(' ')} }`,
  );
  return { ...operation, query: `${operation.query.slice(0, open)}{ ...T0 }\n${fragments.join('\n')}` };
}
