// SPDX-License-Identifier: MIT
// A JSON document editor: a plain text area (every browser's editing, undo and keyboard), with
// line numbers beside it and a band behind the text that marks the line of an error. The error
// is either the editor's own (the text is not JSON: the offset of the fault) or the API's (the
// refused field's path, located in the text by jsonpos.ts). When an error arrives the text area
// takes the focus with the faulty part selected, and the message below names the line.
import { useEffect, useId, useLayoutEffect, useMemo, useRef } from 'preact/hooks';
import { t } from '../lib/i18n';
import { JsonSyntaxError, lineOf, locate, parseWithPositions } from './json';

export interface EditorError {
  message: string;
  path?: string; // the API's field, relative to the document
  pos?: number; // a syntax error's offset
}

interface Placed {
  line: number;
  endLine: number; // the last line of the faulty part (a refused object spans several)
  start: number;
  end: number;
  exact: boolean;
}

function place(text: string, error: EditorError): Placed | null {
  if (error.pos !== undefined) {
    const line = lineOf(text, error.pos).line;
    return { line, endLine: line, start: error.pos, end: Math.min(error.pos + 1, text.length), exact: true };
  }
  if (error.path === undefined) {
    return null;
  }
  try {
    const where = locate(parseWithPositions(text), error.path);
    const line = lineOf(text, where.start).line;
    const endLine = lineOf(text, Math.max(where.start, where.end - 1)).line;
    return { line, endLine: where.exact ? endLine : line, start: where.start, end: where.end, exact: where.exact };
  } catch {
    return null;
  }
}

// The document of text, or the editor's error for it.
export function parseDocument(text: string): { doc?: unknown; error?: EditorError } {
  try {
    parseWithPositions(text);
    return { doc: JSON.parse(text) as unknown };
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      return { error: { message: t('dash.editor.syntax', { what: e.message }), pos: e.pos } };
    }
    return { error: { message: String(e) } };
  }
}

interface Props {
  label: string;
  value: string;
  onValue: (text: string) => void;
  error?: EditorError | undefined;
  readOnly?: boolean;
  rows?: number;
}

export function JsonEditor({ label, value, onValue, error, readOnly, rows = 6 }: Props) {
  const id = useId();
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const band = useRef<HTMLDivElement>(null);
  const lines = value.split('\n').length;
  const placed = useMemo(() => (error ? place(value, error) : null), [error]);
  // A new error: select the faulty part so that the caret is at its place.
  useEffect(() => {
    const el = area.current;
    if (el !== null && placed !== null) {
      el.focus();
      el.setSelectionRange(placed.start, placed.end);
      // The text area is as tall as its text: the page scrolls to the marked line.
      const lineHeight = parseFloat(getComputedStyle(el).lineHeight) || 24;
      const top = el.getBoundingClientRect().top + window.scrollY + (placed.line - 1) * lineHeight;
      window.scrollTo({ top: Math.max(0, top - window.innerHeight / 3) });
    }
  }, [placed]);
  const sync = () => {
    const el = area.current;
    if (el === null) {
      return;
    }
    if (gutter.current) {
      gutter.current.scrollTop = el.scrollTop;
    }
    if (band.current) {
      band.current.scrollTop = el.scrollTop;
      band.current.scrollLeft = el.scrollLeft;
    }
  };
  useLayoutEffect(sync, [value, placed]);
  const errorId = `${id}-error`;
  const where = placed
    ? !placed.exact
      ? t('dash.editor.near_line', { line: placed.line })
      : placed.endLine > placed.line
        ? t('dash.editor.at_lines', { from: placed.line, to: placed.endLine })
        : t('dash.editor.at_line', { line: placed.line })
    : '';
  return (
    <div class={`pt-field dash-editor${error ? ' pt-field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      <div class="dash-editor-box">
        <div class="dash-editor-gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lines }, (_, i) => (
            <div key={i} class={placed && i + 1 >= placed.line && i + 1 <= placed.endLine ? 'dash-editor-mark' : undefined}>
              {i + 1}
            </div>
          ))}
        </div>
        <div class="dash-editor-text">
          <div class="dash-editor-band" ref={band} aria-hidden="true">
            {placed !== null && (
              <div class="dash-editor-band-line" data-line={placed.line}>
                {Array.from({ length: placed.line - 1 }, (_, i) => (
                  <br key={i} />
                ))}
                {value
                  .split('\n')
                  .slice(placed.line - 1, placed.endLine)
                  .map((text, i) => (
                    <span key={i} class="dash-editor-line-error">
                      {text || ' '}
                    </span>
                  ))}
              </div>
            )}
          </div>
          <textarea
            id={id}
            ref={area}
            class="dash-code"
            rows={Math.max(lines, rows)}
            wrap="off"
            spellcheck={false}
            autocapitalize="off"
            autocomplete="off"
            value={value}
            readOnly={readOnly}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={error ? errorId : undefined}
            onInput={(e) => onValue(e.currentTarget.value)}
            onScroll={sync}
          />
        </div>
      </div>
      {error && (
        <p class="pt-error dash-editor-error" id={errorId} role="alert">
          {where && <strong>{where}</strong>} {error.path && <code>{error.path}</code>} {error.message}
        </p>
      )}
    </div>
  );
}
