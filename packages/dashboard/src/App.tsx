// The shell: top bar (navigation, live-stream state, token, theme) and the page for the current route.
import { useState } from 'react';
import { Link, useRoute, type Route } from './router.js';
import { useConnectionState } from './live.js';
import { getToken, setToken } from './api.js';
import { toggleTheme, useThemeName } from './theme.js';
import { RunsPage } from './pages/RunsPage.js';
import { RunPage } from './pages/RunPage.js';
import { SweepsPage } from './pages/SweepsPage.js';
import { SweepPage } from './pages/SweepPage.js';
import { ComparePage } from './pages/ComparePage.js';

export function App() {
  const route = useRoute();
  return (
    <>
      <TopBar route={route} />
      <main>
        <Page route={route} />
      </main>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'runs': return <RunsPage />;
    case 'run': return <RunPage key={route.id} id={route.id} />;
    case 'sweeps': return <SweepsPage />;
    case 'sweep': return <SweepPage key={route.id} id={route.id} />;
    case 'compare': return <ComparePage key={route.ids.join(',')} ids={route.ids} />;
    case 'missing': return <div className="empty">Nothing here: <code>{route.path}</code>. <Link href="/">Back to runs</Link></div>;
  }
}

function TopBar({ route }: { route: Route }) {
  const connection = useConnectionState();
  const theme = useThemeName();
  const [hasToken, setHasToken] = useState(() => getToken() !== null);
  const section = route.page === 'sweep' || route.page === 'sweeps' ? 'sweeps' : 'runs';
  const askToken = () => {
    const value = window.prompt('API token printed by `tunelab ui` (needed to stop, tag or delete):', getToken() ?? '');
    if (value === null) return;
    setToken(value || null);
    setHasToken(!!value);
  };
  const connectionText = { idle: 'idle', connecting: 'connecting…', live: 'live', down: 'reconnecting…' }[connection];
  return (
    <header className="topbar">
      <Link href="/" className="brand"><span className="brand-mark" />tunelab</Link>
      <nav className="nav">
        <Link href="/" className={section === 'runs' ? 'active' : ''}>Runs</Link>
        <Link href="/sweeps" className={section === 'sweeps' ? 'active' : ''}>Sweeps</Link>
      </nav>
      <span className="spacer" />
      <span className="conn" data-testid="connection" data-state={connection} title="live updates over one server-sent-events stream">
        <span className={`dot ${connection === 'live' ? 'live' : connection === 'down' ? 'down' : ''}`} />
        {connectionText}
      </span>
      <button type="button" className="ghost" onClick={askToken} title="API token">{hasToken ? 'token ✓' : 'set token'}</button>
      <button type="button" className="ghost" onClick={toggleTheme} title="toggle light/dark theme">{theme === 'dark' ? '☀ light' : '☾ dark'}</button>
    </header>
  );
}
