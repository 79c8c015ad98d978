/**
 * The structure editor: EPAM's Ketcher (Apache-2.0) with its standalone struct service, i.e. Indigo
 * compiled to WebAssembly and run in a worker of this page — no server, nothing fetched from a CDN
 * (Vite bundles the worker and its .wasm into renderer/dist; `binaryWasm` is the build that loads
 * the .wasm as a file instead of a 13 MB base64 string).
 *
 * Heavy (Ketcher, its UI kit and Indigo): only ever loaded through `import()` by DrawStructure.tsx,
 * so the main bundle does not carry it. Default export for `React.lazy`.
 *
 * The Ketcher instance is also `window.ketcher`: Ketcher's own UI reads it there (error handler),
 * and the end-to-end tests put structures in through it.
 */
import './ketcher-globals.js';
import { useEffect, useState, type ReactNode } from 'react';
import { Editor } from 'ketcher-react';
import type { Ketcher } from 'ketcher-core';
import { StandaloneStructServiceProvider } from 'ketcher-standalone/dist/binaryWasm';
import 'ketcher-react/dist/index.css';
import './StructureEditor.css';

declare global {
  interface Window {
    ketcher?: Ketcher;
  }
}

export type EditorOutput = 'smarts' | 'smiles';

export interface StructureEditorProps {
  title: string;
  /** SMILES or SMARTS to start from ('' for an empty canvas). */
  initial: string;
  /** What "Use" hands back: a query (SMARTS, for substructure search) or a molecule (SMILES). */
  output: EditorOutput;
  useLabel?: string;
  /** Extra fields shown beside the buttons (e.g. a name). */
  children?: ReactNode;
  /** Called with the drawn structure as text ('' when the canvas is empty); a rejection is shown in the dialog. */
  onUse(text: string): void | Promise<void>;
  onClose(): void;
}

// One provider for the page: its worker (and the 12 MB of WebAssembly it compiles) is reused by every opening.
let provider: StandaloneStructServiceProvider | null = null;
const structServiceProvider = () => (provider ??= new StandaloneStructServiceProvider());

/** The drawn structure as SMARTS or SMILES; '' for an empty canvas. */
export async function drawnText(ketcher: Ketcher, output: EditorOutput): Promise<string> {
  if (!ketcher.editor.struct().atoms.size) return '';
  return (output === 'smarts' ? await ketcher.getSmarts() : await ketcher.getSmiles()).trim();
}

export default function StructureEditor(props: StructureEditorProps) {
  const { initial, output } = props;
  const [ketcher, setKetcher] = useState<Ketcher | null>(null);
  const [ready, setReady] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // Load the starting structure once Ketcher is up.
  useEffect(() => {
    if (!ketcher) return;
    let cancelled = false;
    (async () => {
      try {
        if (initial.trim()) await ketcher.setMolecule(initial.trim());
      } catch (e) {
        if (!cancelled) setError(`Could not read “${initial}”: ${(e as Error).message ?? String(e)}`);
      } finally {
        if (!cancelled) setReady(true);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [ketcher, initial]);

  useEffect(() => () => {
    if (window.ketcher === ketcher) delete window.ketcher;
  }, [ketcher]);

  const use = async () => {
    if (!ketcher) return;
    setBusy(true);
    setError(null);
    try {
      await props.onUse(await drawnText(ketcher, output));
    } catch (e) {
      setError((e as Error).message ?? String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="structure-editor-backdrop" data-testid="structure-editor">
      <div className="structure-editor" role="dialog" aria-modal="true" aria-label={props.title}>
        <header className="structure-editor-head">
          <h2>{props.title}</h2>
          <span className="muted small">{output === 'smarts' ? 'Used as a SMARTS query: query atoms and bonds are kept.' : 'Used as SMILES.'}</span>
          <button type="button" className="structure-editor-close" aria-label="Close" onClick={props.onClose}>
            ×
          </button>
        </header>
        <div className="structure-editor-canvas" data-testid="structure-editor-canvas" data-ready={ready ? 'true' : 'false'}>
          <Editor
            staticResourcesUrl=""
            structServiceProvider={structServiceProvider()}
            disableMacromoleculesEditor
            errorHandler={(message: string) => setError(String(message))}
            onInit={(k: Ketcher) => {
              window.ketcher = k;
              setKetcher(k);
            }}
          />
        </div>
        <footer className="structure-editor-foot">
          {props.children}
          {error && (
            <span className="structure-editor-error" role="alert" data-testid="structure-editor-error">
              {error}
            </span>
          )}
          <span className="spacer" />
          <button type="button" onClick={props.onClose} data-testid="structure-editor-cancel">
            Cancel
          </button>
          <button type="button" className="primary" disabled={!ketcher || !ready || busy} onClick={use} data-testid="structure-editor-use">
            {busy ? 'Working…' : props.useLabel ?? 'Use'}
          </button>
        </footer>
      </div>
    </div>
  );
}
