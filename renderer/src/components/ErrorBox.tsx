import { ApiCallError } from '../../../core/api/client.js';

/** The API's own message, with its code, so the user sees what the engine said. */
export function ErrorBox(props: { error: Error | null | undefined; title?: string; onDismiss?: () => void }) {
  const { error } = props;
  if (!error) return null;
  const code = error instanceof ApiCallError ? error.code : null;
  return (
    <div className="error-box" role="alert" data-testid="error">
      <strong>{props.title ?? 'Error'}{code ? ` (${code})` : ''}:</strong> <span data-testid="error-message">{error.message}</span>
      {props.onDismiss && (
        <button type="button" className="link" onClick={props.onDismiss} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  );
}
