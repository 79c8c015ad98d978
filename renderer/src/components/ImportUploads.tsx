/**
 * Files for the Import view of the browser host: dropped on the zone or picked, each streamed to the engine's
 * host (`POST /api/upload`) with its size and a progress bar, and a Cancel that aborts the transfer (the host
 * removes what it had received). Uploaded files wait here, with their server path, until the import starts.
 */
import { useRef, useState } from 'react';
import { formatBytes } from '../lib/format.js';
import { uploadFile, type Connection } from '../lib/transport.js';

export interface StagedFile {
  key: string;
  name: string;
  size: number;
  sent: number;
  status: 'uploading' | 'ready' | 'failed' | 'cancelled';
  /** Server path once uploaded. */
  path?: string;
  error?: string;
}

/** What the upload accepts (the host checks the name again). */
export const LIBRARY_ACCEPT = '.sdf,.sd,.mol,.smi,.smiles,.csv,.tsv,.txt,.gz';

export function useUploads(conn: Connection, onUploaded: (f: StagedFile) => void) {
  const [files, setFiles] = useState<StagedFile[]>([]);
  const aborts = useRef(new Map<string, AbortController>());
  const seq = useRef(0);
  const patch = (key: string, p: Partial<StagedFile>) => setFiles((fs) => fs.map((f) => (f.key === key ? { ...f, ...p } : f)));

  const add = async (picked: File[]) => {
    const entries = picked.map((file) => ({ file, ctl: new AbortController(), staged: { key: `u${++seq.current}`, name: file.name, size: file.size, sent: 0, status: 'uploading' as const } }));
    // Every file's controller exists from the start, so Cancel and Remove also stop a file still waiting its turn.
    for (const e of entries) aborts.current.set(e.staged.key, e.ctl);
    setFiles((fs) => [...fs, ...entries.map((e) => e.staged)]);
    // One at a time, in the order given: the host streams each to disk, the import reads them in this order.
    for (const { file, ctl, staged } of entries) {
      try {
        if (ctl.signal.aborted) throw new DOMException('cancelled', 'AbortError');
        const up = await uploadFile(conn, file, { signal: ctl.signal, onProgress: (sent) => patch(staged.key, { sent }) });
        const done: StagedFile = { ...staged, sent: file.size, status: 'ready', path: up.path };
        patch(staged.key, done);
        onUploaded(done);
      } catch (e) {
        const cancelled = (e as Error).name === 'AbortError';
        patch(staged.key, { status: cancelled ? 'cancelled' : 'failed', error: cancelled ? undefined : (e as Error).message });
      } finally {
        aborts.current.delete(staged.key);
      }
    }
  };
  const cancel = (key: string) => aborts.current.get(key)?.abort();
  const remove = (key: string) => {
    cancel(key);
    setFiles((fs) => fs.filter((f) => f.key !== key));
  };
  const clear = () => setFiles((fs) => fs.filter((f) => f.status === 'uploading'));
  return { files, add, cancel, remove, clear, busy: files.some((f) => f.status === 'uploading') };
}

export function UploadZone(props: { uploads: ReturnType<typeof useUploads>; disabled: boolean }) {
  const { uploads, disabled } = props;
  const [over, setOver] = useState(false);
  return (
    <div className="import-uploads">
      <div
        className={`drop-zone import-drop ${over ? 'over' : ''}`}
        data-testid="import-drop"
        onDragOver={(e) => {
          e.preventDefault();
          if (!disabled) setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const picked = [...e.dataTransfer.files];
          if (picked.length && !disabled) void uploads.add(picked);
        }}
      >
        <strong>Drop compound files here</strong>
        <span className="muted small">SDF, SMILES, CSV or TSV, optionally gzipped; several at once are imported together. Each is previewed before the import starts.</span>
        <div className="actions">
          <label className={`button upload ${disabled ? 'disabled' : ''}`} data-testid="import-upload-label">
            Choose files…
            <input
              type="file"
              multiple
              hidden
              disabled={disabled}
              accept={LIBRARY_ACCEPT}
              data-testid="import-upload"
              onChange={(e) => {
                const picked = [...(e.target.files ?? [])];
                e.target.value = '';
                if (picked.length) void uploads.add(picked);
              }}
            />
          </label>
        </div>
      </div>
      {uploads.files.length > 0 && (
        <ul className="upload-list" data-testid="upload-list">
          {uploads.files.map((f) => {
            const frac = f.size > 0 ? Math.min(1, f.sent / f.size) : f.status === 'ready' ? 1 : 0;
            return (
              <li key={f.key} className="upload-item" data-testid="upload-item" data-status={f.status} data-name={f.name}>
                <span className="mono ellipsis upload-name" title={f.path ?? f.name}>{f.name}</span>
                <span className="muted small num" data-testid="upload-size">
                  {f.status === 'uploading' ? `${formatBytes(f.sent)} of ${formatBytes(f.size)}` : formatBytes(f.size)}
                </span>
                <div className="progress upload-progress" role="progressbar" aria-label={`Upload of ${f.name}`} aria-valuemin={0} aria-valuemax={f.size} aria-valuenow={f.sent}>
                  <div className="progress-fill" style={{ width: `${(frac * 100).toFixed(1)}%` }} />
                </div>
                <span className={`small upload-state ${f.status === 'failed' ? 'error-inline' : f.status === 'cancelled' ? 'warn' : 'muted'}`} data-testid="upload-state" title={f.error}>
                  {f.status === 'uploading' ? `${Math.floor(frac * 100)} %` : f.status === 'ready' ? 'uploaded' : f.status === 'cancelled' ? 'cancelled' : `failed: ${f.error ?? ''}`}
                </span>
                {f.status === 'uploading' ? (
                  <button type="button" onClick={() => uploads.cancel(f.key)} data-testid="upload-cancel">
                    Cancel
                  </button>
                ) : (
                  <button type="button" className="link" onClick={() => uploads.remove(f.key)} data-testid="upload-remove" aria-label={`Remove ${f.name}`}>
                    Remove
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
