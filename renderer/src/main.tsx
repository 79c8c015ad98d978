/** Bootstrap: connect to the engine (Electron bridge or the local web host), then render. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from '../../core/api/client.js';
import { connect } from './lib/transport.js';
import { createShell } from './lib/shell.js';
import { AppProvider } from './state.js';
import { App } from './App.js';
import { DepictContext } from './components/Structure.js';
import { DepictCache } from './lib/depict.js';
import './styles.css';

const conn = connect();
const api = createClient(conn.transport);
const shell = createShell(conn.transport);
const depict = new DepictCache(api);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AppProvider api={api} shell={shell} conn={conn}>
      <DepictContext.Provider value={depict}>
        <App />
      </DepictContext.Provider>
    </AppProvider>
  </StrictMode>,
);
