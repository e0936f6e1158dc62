import { GraphQLError, Kind, getLocation, visit, type ASTNode, type DocumentNode } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';

/**
 * Text input is well-formed Unicode without NUL: a lone UTF-16 surrogate (U+D800–U+DFFF
 * not part of a pair) or a U+0000 anywhere in an operation's strings is refused with
 * BAD_USER_INPUT before anything runs.
 *
 * Why: PostgreSQL stores neither. JSON and JavaScript strings carry both ("\ud800" and
 * "\u0000" are legal JSON escapes), so such a string passes every field validator and then
 * fails the SQL statement it reaches: a group commit's statement carries dozens of other
 * tenants' transfers, which all failed with it. Checked once per operation, for every
 * string: the variables (values and object keys, at any depth), the string literals of the
 * document and the operation name, on HTTP (`wellFormedInputPlugin`) and WebSocket
 * (`malformedInputError` in graphql-ws's onSubscribe) alike. Well-formed characters of any
 * kind (emoji, RTL marks) pass here; field validators decide what each field allows.
 *
 * Lone surrogates written raw in the document itself never get here: GraphQL's grammar has
 * no such source character, and the parser refuses them (GRAPHQL_PARSE_FAILED) on both
 * transports.
 */

/** The first NUL or lone surrogate of a string (with the `u` flag, a valid pair is one code point and does not match). */
const FORBIDDEN = /[\u0000\uD800-\uDFFF]/u;
const FORBIDDEN_ALL = /[\u0000\uD800-\uDFFF]/gu;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What is wrong with `text`, or undefined when it is well-formed and NUL-free. */
export function textProblem(text: string): string | undefined {
  const match = FORBIDDEN.exec(text);
  if (!match) return undefined;
  const code = match[0].codePointAt(0)!;
  return code === 0
    ? `a NUL character (U+0000) at position ${match.index}`
    : `a lone UTF-16 surrogate (U+${code.toString(16).toUpperCase()}) at position ${match.index}`;
}

/** A key as it can be shown in a message: forbidden characters as \u escapes, long keys cut. */
function printable(text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return shown.replace(FORBIDDEN_ALL, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

const RULE = 'text input must be well-formed Unicode without NUL';

function badInput(message: string, field: string, options: { source?: DocumentNode['loc']; position?: number } = {}): GraphQLError {
  return new GraphQLError(message, {
    ...(options.source && options.position !== undefined ? { source: options.source.source, positions: [options.position] } : {}),
    // 400 also when thrown from a plugin hook (Apollo answers 500 there unless told otherwise).
    extensions: { code: 'BAD_USER_INPUT', field, http: { status: 400 } },
  });
}

/** One value of the variables walk; the parent chain gives the path, built only for an error. */
interface Visit {
  value: unknown;
  segment: string | number;
  parent: Visit | undefined;
}

/** Segments shown at each end of a longer path: a path as deep as the body allows would make a huge message. */
const PATH_ENDS = 12;

function pathOf(visit: Visit): string {
  const segments: Array<string | number> = [];
  for (let at: Visit | undefined = visit; at; at = at.parent) segments.push(at.segment);
  segments.reverse();
  const shown = segments.map((segment, index) =>
    typeof segment === 'number'
      ? `[${segment}]`
      : IDENTIFIER.test(segment)
        ? `${index === 0 ? '' : '.'}${segment}`
        : `[${JSON.stringify(printable(segment))}]`,
  );
  if (shown.length > 2 * PATH_ENDS) shown.splice(PATH_ENDS, shown.length - 2 * PATH_ENDS, '…');
  return shown.join('');
}

/**
 * The first string (value or key) of the variables that is not well-formed. Iterative, not
 * recursive: variables may nest as deep as the body allows, and a stack overflow here would
 * be a 500.
 */
function variablesError(variables: Record<string, unknown> | null | undefined): GraphQLError | undefined {
  if (!variables || typeof variables !== 'object') return undefined;
  const stack: Visit[] = [];
  const pushChildren = (value: object, parent: Visit | undefined): GraphQLError | undefined => {
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], segment: i, parent });
      return undefined;
    }
    for (const key of Object.keys(value)) {
      const problem = textProblem(key);
      if (problem) {
        const at = parent ? pathOf(parent) : '';
        const where = at ? `a key of variable $${at}` : 'a variable name';
        return badInput(`Invalid text in ${where} (${JSON.stringify(printable(key))}): it contains ${problem}; ${RULE}`, at);
      }
      stack.push({ value: (value as Record<string, unknown>)[key], segment: key, parent });
    }
    return undefined;
  };
  const rootError = pushChildren(variables, undefined);
  if (rootError) return rootError;
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const { value } = visit;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) {
        const path = pathOf(visit);
        return badInput(`Invalid text in variable $${path}: it contains ${problem}; ${RULE}`, path);
      }
    } else if (value !== null && typeof value === 'object') {
      const error = pushChildren(value, visit);
      if (error) return error;
    }
  }
  return undefined;
}

/** Where a string literal sits: its argument path and, in words, "argument input.memo of field transferMinutes". */
function literalPlace(
  ancestors: ReadonlyArray<ASTNode | ReadonlyArray<ASTNode>>,
  path: ReadonlyArray<string | number>,
): { argument: string; words: string } {
  let owner = '';
  let names: string[] = [];
  ancestors.forEach((ancestor, index) => {
    if (Array.isArray(ancestor)) return;
    const node = ancestor as ASTNode;
    switch (node.kind) {
      case Kind.FIELD:
        owner = `field ${node.name.value}`;
        names = [];
        break;
      case Kind.DIRECTIVE:
        owner = `directive @${node.name.value}`;
        names = [];
        break;
      case Kind.VARIABLE_DEFINITION:
        owner = `the default value of $${node.variable.name.value}`;
        names = [];
        break;
      case Kind.ARGUMENT:
      case Kind.OBJECT_FIELD:
        names.push(node.name.value);
        break;
      case Kind.LIST:
        if (typeof path[index + 1] === 'number') names.push(`[${path[index + 1]}]`);
        break;
      default:
    }
  });
  const argument = names.join('.').replace(/\.\[/g, '[');
  if (!argument) return { argument, words: owner };
  const words = owner.startsWith('field') || owner.startsWith('directive') ? `argument ${argument} of ${owner}` : `${owner} at ${argument}`;
  return { argument, words };
}

/** The first string literal of the document that is not well-formed (in practice a NUL: the parser refuses lone surrogates). */
function documentError(document: DocumentNode): GraphQLError | undefined {
  const body = document.loc?.source.body;
  // A NUL or a surrogate code unit in a literal comes from a raw character or a \u escape.
  if (body !== undefined && !body.includes('\\u') && !FORBIDDEN.test(body)) return undefined;
  let error: GraphQLError | undefined;
  visit(document, {
    StringValue(node, _key, parent, path, ancestors) {
      const problem = textProblem(node.value);
      if (!problem) return undefined;
      // graphql's `ancestors` stops before the parent; with it, chain[i] holds the key path[i].
      const { argument, words } = literalPlace([...ancestors, parent!], path);
      const at = node.loc ? getLocation(node.loc.source, node.loc.start) : undefined;
      const where = at ? ` at line ${at.line}, column ${at.column}` : '';
      error = badInput(
        `Invalid text in the string literal${where}${words ? ` (${words})` : ''}: it contains ${problem}; ${RULE}`,
        argument,
        { source: node.loc, position: node.loc?.start },
      );
      return false;
    },
  });
  return error;
}

/**
 * The BAD_USER_INPUT error for an operation with text that is not well-formed Unicode or
 * holds a NUL, or undefined. `document` is the parsed (and validated) document.
 */
export function malformedInputError(
  request: { variables?: Record<string, unknown> | null; operationName?: string | null },
  document: DocumentNode,
): GraphQLError | undefined {
  if (typeof request.operationName === 'string') {
    const problem = textProblem(request.operationName);
    if (problem) return badInput(`Invalid text in the operation name: it contains ${problem}; ${RULE}`, 'operationName');
  }
  return variablesError(request.variables) ?? documentError(document);
}

/**
 * Apollo Server plugin: refuses malformed text once the operation is resolved (before the
 * cost check's answer matters and before anything executes), for POST and GET alike.
 */
export function wellFormedInputPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const error = malformedInputError(request, document);
          if (error) throw error;
        },
      };
    },
  };
}
