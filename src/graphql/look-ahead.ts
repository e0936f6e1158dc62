import {
  getArgumentValues, getDirectiveValues, getNamedType, GraphQLIncludeDirective, GraphQLSkipDirective, isObjectType, Kind,
  type FieldNode, type GraphQLResolveInfo, type SelectionSetNode,
} from 'graphql';

/**
 * The arguments of a child field the current field's selection asks for, so that a parent
 * resolver can read a child's rows in its own statement (the agency with its page of
 * sub-accounts). Answers only when every selection of that child (aliases, fragments and
 * inline fragments included, `@skip`/`@include` applied) asks with the same arguments:
 * with two different argument sets the child reads its own rows as it would anyway.
 * A look-ahead that guesses wrong only costs a statement; it never changes an answer,
 * because the child resolver still validates its arguments and reads what was primed
 * only under the exact query it would have run.
 */
export function childFieldArgs(info: GraphQLResolveInfo, childName: string): Record<string, unknown> | undefined {
  const parentType = getNamedType(info.returnType);
  if (!isObjectType(parentType)) return undefined;
  const fieldDef = parentType.getFields()[childName];
  if (!fieldDef) return undefined;
  const found: FieldNode[] = [];
  const visitedFragments = new Set<string>();
  const visit = (selectionSet: SelectionSetNode | undefined): boolean => {
    for (const selection of selectionSet?.selections ?? []) {
      if (!included(selection, info.variableValues)) continue;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === childName) found.push(selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (selection.typeCondition && selection.typeCondition.name.value !== parentType.name) continue;
        if (!visit(selection.selectionSet)) return false;
      } else {
        const name = selection.name.value;
        if (visitedFragments.has(name)) continue;
        visitedFragments.add(name);
        const fragment = info.fragments[name];
        if (!fragment || fragment.typeCondition.name.value !== parentType.name) continue;
        if (!visit(fragment.selectionSet)) return false;
      }
      // Bounded by the document, which the validation limits already bounded.
      if (found.length > 8) return false;
    }
    return true;
  };
  for (const fieldNode of info.fieldNodes) if (!visit(fieldNode.selectionSet)) return undefined;
  if (found.length === 0) return undefined;
  try {
    const args = found.map((node) => getArgumentValues(fieldDef, node, info.variableValues));
    const first = JSON.stringify(args[0]);
    return args.every((a) => JSON.stringify(a) === first) ? args[0] : undefined;
  } catch {
    return undefined; // the child field reports its own argument errors
  }
}

function included(selection: { directives?: readonly unknown[] }, variables: GraphQLResolveInfo['variableValues']): boolean {
  if (!selection.directives?.length) return true;
  const node = selection as Parameters<typeof getDirectiveValues>[1];
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
}
