/**
 * Entry points to the structure editor, light enough for the main bundle: the editor itself
 * (Ketcher + Indigo WebAssembly, StructureEditor.tsx) is fetched from this build's own files the
 * first time one of these opens it.
 *  - DrawQueryButton: "Draw…" beside a search box; opens with the box's text, writes back SMARTS
 *    (substructure) or SMILES (similarity).
 *  - DrawCompoundButton: "Draw a compound": draw, name, add to the project (compounds.add), open it.
 */
import { Component, lazy, Suspense, useState, type ReactNode } from 'react';
import type { EditorOutput, StructureEditorProps } from './StructureEditor.js';
import { useApp } from '../state.js';

const StructureEditor = lazy(() => import('./StructureEditor.js'));

// Inline: StructureEditor.css arrives with the editor's chunk, after these are shown.
const backdrop = { position: 'fixed', inset: 0, zIndex: 1000, display: 'flex', alignItems: 'center', justifyContent: 'center', background: 'rgba(15, 23, 42, 0.45)' } as const;
const box = { background: 'var(--panel)', border: '1px solid var(--line-strong)', borderRadius: 6, padding: '16px 20px', maxWidth: 560 } as const;

/** Shown if the editor's chunk cannot be loaded (or Ketcher throws while rendering). */
class EditorBoundary extends Component<{ onClose(): void; children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div style={backdrop} data-testid="structure-editor">
        <div style={box} role="alertdialog" aria-label="Structure editor">
          <p className="error" data-testid="structure-editor-error">The structure editor could not start: {this.state.error.message}</p>
          <button type="button" onClick={this.props.onClose}>Close</button>
        </div>
      </div>
    );
  }
}

function LazyEditor(props: StructureEditorProps) {
  return (
    <EditorBoundary onClose={props.onClose}>
      <Suspense fallback={<div style={backdrop} data-testid="structure-editor-loading"><div style={box}>Loading the structure editor…</div></div>}>
        <StructureEditor {...props} />
      </Suspense>
    </EditorBoundary>
  );
}

export function DrawQueryButton(props: { value: string; output: EditorOutput; title: string; testId: string; onUse(text: string): void }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" title={props.title} data-testid={props.testId} onClick={() => setOpen(true)}>
        Draw…
      </button>
      {open && (
        <LazyEditor
          title={props.title}
          initial={props.value}
          output={props.output}
          onClose={() => setOpen(false)}
          onUse={(text) => {
            props.onUse(text);
            setOpen(false);
          }}
        />
      )}
    </>
  );
}

export function DrawCompoundButton() {
  const { api, bumpData, navigate } = useApp();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  return (
    <>
      <button type="button" title="Draw a structure and add it to the project" data-testid="draw-compound" onClick={() => setOpen(true)}>
        Draw a compound…
      </button>
      {open && (
        <LazyEditor
          title="Draw a compound"
          initial=""
          output="smiles"
          useLabel="Add to project"
          onClose={() => setOpen(false)}
          onUse={async (smiles) => {
            if (!smiles) throw new Error('Draw a structure first.');
            const r = await api.call('compounds.add', { smiles, ...(name.trim() ? { name: name.trim() } : {}) });
            setOpen(false);
            setName('');
            bumpData();
            navigate({ view: 'compound', id: r.id });
          }}
        >
          <label>
            Name <input value={name} onChange={(e) => setName(e.target.value)} placeholder="optional" data-testid="draw-compound-name" aria-label="Compound name" />
          </label>
        </LazyEditor>
      )}
    </>
  );
}
