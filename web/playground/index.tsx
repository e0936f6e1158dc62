import './monaco-workers';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import './playground.css';
import { createPlaygroundFetcher, sameOriginWebSocketUrl } from './fetcher';
import { DEFAULT_HEADERS, EXAMPLE_TABS } from './examples';
import { ShareHeadersAcrossTabs } from './shared-headers';

const fetcher = createPlaygroundFetcher(new URL('/graphql', window.location.href).href, sameOriginWebSocketUrl(window.location));

createRoot(document.getElementById('graphiql')!).render(
  <GraphiQL
    fetcher={fetcher}
    defaultTabs={EXAMPLE_TABS}
    initialHeaders={DEFAULT_HEADERS}
    defaultHeaders={DEFAULT_HEADERS}
    defaultEditorToolsVisibility="headers"
    // Keys typed in the headers editor stay in this page, never in localStorage.
    shouldPersistHeaders={false}
  >
    <GraphiQL.Footer>
      <ShareHeadersAcrossTabs />
    </GraphiQL.Footer>
  </GraphiQL>,
);
