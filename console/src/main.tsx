import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { App } from './App';
import { completeSignIn, currentIdentity, grantedScope, loadConfig, SignInError, signOut, startSignIn, signedIn } from './auth';
import { consolePath, navigate, BASE } from './router';
import { Button } from './ui/ui';
import { Brand } from './Shell';
import './styles.css';

type Phase = { kind: 'loading' } | { kind: 'redirecting' } | { kind: 'ready' } | { kind: 'forbidden' } | { kind: 'error'; title: string; detail?: string };

function Root() {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });

  useEffect(() => {
    (async () => {
      try {
        const cfg = await loadConfig();
        // Sign in on the endpoint's own origin: that is where the redirect
        // URI points and where the session cookie lives.
        const origin = new URL(cfg.endpoint).origin;
        if (window.location.origin !== origin) {
          window.location.replace(origin + window.location.pathname + window.location.search);
          return;
        }
        if (window.location.pathname === `${BASE}/callback`) {
          const back = await completeSignIn(window.location.search);
          navigate(back === '/callback' ? '/' : back, { replace: true });
        } else if (!signedIn()) {
          setPhase({ kind: 'redirecting' });
          await startSignIn(consolePath());
          return;
        }
        const scopes = grantedScope().split(' ');
        setPhase(scopes.includes('all') ? { kind: 'ready' } : { kind: 'forbidden' });
      } catch (err) {
        if (err instanceof SignInError) setPhase({ kind: 'error', title: err.message, detail: err.detail });
        else setPhase({ kind: 'error', title: 'The console could not start.', detail: err instanceof Error ? err.message : String(err) });
      }
    })();
  }, []);

  if (phase.kind === 'ready') return <App />;
  if (phase.kind === 'loading' || phase.kind === 'redirecting') {
    return (
      <div class="splash" role="status" aria-live="polite">
        <Brand />
        <span class="spinner spinner-lg" aria-hidden="true" />
        <p>{phase.kind === 'redirecting' ? 'Signing you in…' : 'Loading the console…'}</p>
      </div>
    );
  }
  if (phase.kind === 'forbidden') {
    const who = currentIdentity();
    return (
      <div class="splash">
        <div class="splash-card">
          <Brand />
          <h1>No access to the console</h1>
          <p>
            You are signed in{who?.username || who?.email || who?.name ? ` as ${who.username || who.email || who.name}` : ''}, but your account holds no role with the Management API's <code>all</code> permission.
            Ask an administrator to give you such a role, then sign in again.
          </p>
          <Button variant="primary" icon="signOut" onClick={() => void signOut()}>
            Sign out
          </Button>
        </div>
      </div>
    );
  }
  return (
    <div class="splash">
      <div class="splash-card" role="alert">
        <Brand />
        <h1>{phase.title}</h1>
        {phase.detail && <p class="splash-detail">{phase.detail}</p>}
        <Button variant="primary" onClick={() => window.location.assign(`${BASE}/`)}>
          Try again
        </Button>
      </div>
    </div>
  );
}

render(<Root />, document.getElementById('app')!);
