/**
 * A small menu at a point (right click on a grid row): kept inside the window, closed by Escape, a press
 * outside it, scrolling or resizing; arrow keys move between its items, and focus goes back where it was.
 */
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import './ContextMenu.css';

export function ContextMenu(props: { at: { x: number; y: number }; onClose(): void; children: ReactNode; testId?: string; label?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState(props.at);
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const r = el.getBoundingClientRect();
    setPos({
      x: Math.max(4, Math.min(props.at.x, window.innerWidth - r.width - 4)),
      y: Math.max(4, Math.min(props.at.y, window.innerHeight - r.height - 4)),
    });
  }, [props.at]);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    box.current?.querySelector<HTMLElement>('[role="menuitem"]:not(:disabled)')?.focus();
    const close = () => onClose.current();
    const outside = (e: PointerEvent) => {
      if (!box.current?.contains(e.target as Node)) close();
    };
    const onScroll = (e: Event) => {
      if (!box.current?.contains(e.target as Node)) close();
    };
    window.addEventListener('pointerdown', outside, true);
    window.addEventListener('scroll', onScroll, true);
    window.addEventListener('resize', close);
    window.addEventListener('blur', close);
    return () => {
      window.removeEventListener('pointerdown', outside, true);
      window.removeEventListener('scroll', onScroll, true);
      window.removeEventListener('resize', close);
      window.removeEventListener('blur', close);
      if (before && document.contains(before)) before.focus();
    };
  }, []);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      props.onClose();
      return;
    }
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const items = [...(box.current?.querySelectorAll<HTMLElement>('[role="menuitem"]:not(:disabled)') ?? [])];
    if (!items.length) return;
    e.preventDefault();
    const i = items.indexOf(document.activeElement as HTMLElement);
    const next = e.key === 'ArrowDown' ? (i + 1) % items.length : (i - 1 + items.length) % items.length;
    items[next].focus();
  };
  return (
    <div
      ref={box}
      className="context-menu"
      role="menu"
      aria-label={props.label}
      data-testid={props.testId ?? 'context-menu'}
      style={{ left: pos.x, top: pos.y }}
      onKeyDown={onKeyDown}
      onContextMenu={(e) => e.preventDefault()}
    >
      {props.children}
    </div>
  );
}

/** One item of a ContextMenu. */
export function MenuItem(props: { onSelect(): void; children: ReactNode; testId?: string; disabled?: boolean; title?: string }) {
  return (
    <button type="button" role="menuitem" className="context-item" onClick={props.onSelect} data-testid={props.testId} disabled={props.disabled} title={props.title}>
      {props.children}
    </button>
  );
}
