/**
 * An encrypted project the host opened locked (`strata serve` without --passphrase-file, the desktop
 * app): ask for its passphrase, send it with project.unlock, and reload once it opens. A wrong one is
 * shown as the engine's message; the passphrase is kept in this form's state only, cleared after each try.
 */
import { useState } from 'react';
import { useApp } from '../state.js';
import { ErrorBox } from '../components/ErrorBox.js';

export function UnlockView(props: { project: string; onUnlocked?: () => void }) {
  const { api } = useApp();
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const submit = async () => {
    if (!passphrase) return;
    setBusy(true);
    setError(null);
    try {
      await api.call('project.unlock', { passphrase });
      setPassphrase('');
      if (props.onUnlocked) props.onUnlocked();
      else window.location.reload();
    } catch (e) {
      setPassphrase('');
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="view unlock-view" data-testid="view-unlock">
      <h2>This project is encrypted</h2>
      <p className="muted">{props.project}</p>
      <form
        className="panel"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label>
          Passphrase
          <div className="form-row">
            <input type="password" autoComplete="current-password" autoFocus value={passphrase} onChange={(e) => setPassphrase(e.target.value)} data-testid="unlock-passphrase" />
            <button type="submit" className="primary" disabled={busy || !passphrase} data-testid="unlock-submit">
              {busy ? 'Opening…' : 'Open'}
            </button>
          </div>
        </label>
        <ErrorBox error={error} title="Not opened" />
      </form>
    </section>
  );
}
