/** Pick which columns the grid shows, grouped by kind, with a text filter for long lists. */
import { useLayoutEffect, useRef, useState } from 'react';
import type { ColumnInfo } from '../../../core/api/contract.js';

export function ColumnChooser(props: { columns: ColumnInfo[]; visible: string[]; onChange(keys: string[]): void; onClose(): void }) {
  const [text, setText] = useState('');
  // Opened from a button near the left edge (the toolbar wrapped), the right-aligned popover would slide under the side
  // navigation: align it to the button's left instead.
  const box = useRef<HTMLDivElement>(null);
  const [alignLeft, setAlignLeft] = useState(false);
  useLayoutEffect(() => {
    const el = box.current;
    const view = el?.closest('.view');
    if (el && view && el.getBoundingClientRect().left < view.getBoundingClientRect().left) setAlignLeft(true);
  }, []);
  const shown = new Set(props.visible);
  const match = (c: ColumnInfo) => !text || `${c.label} ${c.key} ${c.description ?? ''}`.toLowerCase().includes(text.toLowerCase());
  const toggle = (key: string) => {
    // Keep the user's order; new columns go to the end.
    props.onChange(shown.has(key) ? props.visible.filter((k) => k !== key) : [...props.visible, key]);
  };
  const kinds: [ColumnInfo['kind'], string][] = [['core', 'Compound'], ['descriptor', 'Descriptors'], ['flag', 'Flags'], ['property', 'Source fields'], ['prediction', 'Predictions']];
  return (
    <div ref={box} className="popover column-chooser" style={alignLeft ? { left: 0, right: 'auto' } : undefined} data-testid="column-chooser" role="dialog" aria-label="Columns">
      <div className="popover-head">
        <input autoFocus placeholder="Find a column…" value={text} onChange={(e) => setText(e.target.value)} data-testid="column-search" />
        <button type="button" onClick={props.onClose} data-testid="column-chooser-close">
          Done
        </button>
      </div>
      <div className="popover-body">
        {kinds.map(([k, label]) => {
          const group = props.columns.filter((c) => c.kind === k && match(c));
          if (!group.length) return null;
          return (
            <fieldset key={k}>
              <legend>{label}</legend>
              {group.map((c) => (
                <label key={c.key} title={c.description}>
                  <input type="checkbox" checked={shown.has(c.key)} onChange={() => toggle(c.key)} data-testid={`column-toggle-${c.key}`} />
                  {c.label}
                  {c.unit && <span className="unit">{c.unit}</span>}
                </label>
              ))}
            </fieldset>
          );
        })}
      </div>
    </div>
  );
}
