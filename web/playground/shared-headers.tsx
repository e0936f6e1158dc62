import { useEffect, useRef } from 'react';
import { useGraphiQL } from '@graphiql/react';
import { DEFAULT_HEADERS } from './examples';

/**
 * GraphiQL keeps headers per tab; a partner types one key and expects every example tab
 * to use it. When a tab still holds the untouched default (`Bearer ` and no key), it gets
 * the headers last typed in another tab, visibly, in its headers editor. Renders nothing.
 */
export function ShareHeadersAcrossTabs(): null {
  const headerEditor = useGraphiQL((state) => state.headerEditor);
  const activeTabIndex = useGraphiQL((state) => state.activeTabIndex);
  const lastTyped = useRef<string | undefined>(undefined);

  useEffect(() => {
    if (!headerEditor) return undefined;
    const subscription = headerEditor.onDidChangeModelContent(() => {
      const value = headerEditor.getValue();
      if (value.trim() !== '' && value !== DEFAULT_HEADERS) lastTyped.current = value;
    });
    return () => subscription.dispose();
  }, [headerEditor]);

  useEffect(() => {
    if (headerEditor && lastTyped.current && headerEditor.getValue() === DEFAULT_HEADERS) headerEditor.setValue(lastTyped.current);
  }, [headerEditor, activeTabIndex]);

  return null;
}
