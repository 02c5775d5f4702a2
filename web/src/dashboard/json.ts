// SPDX-License-Identifier: MIT
// JSON documents as the rule editor handles them (pure functions, unit-tested in
// tests/dashboard-logic.test.ts). Where a field of a JSON text is: the API names a refused field by its path
// ("effects.0.per", "conditions.all.1.gte.0"); the rule editor shows the error on that line of
// the text the person typed. JSON.parse keeps no positions, so this small parser (strict JSON,
// RFC 8259) records each value's start and end, and each member's key position. A text that is
// not JSON throws JsonSyntaxError with the offset of the fault.

export class JsonSyntaxError extends Error {
  readonly pos: number;
  constructor(message: string, pos: number) {
    super(message);
    this.name = 'JsonSyntaxError';
    this.pos = pos;
  }
}

export interface JsonNode {
  start: number; // the value's first character (for a member: see keyStart)
  end: number; // one past its last character
  keyStart?: number; // a member's key, when the value belongs to an object
  members?: Map<string, JsonNode>;
  items?: JsonNode[];
}

export function parseWithPositions(text: string): JsonNode {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) {
      i++;
    }
  };
  const fail = (what: string): never => {
    throw new JsonSyntaxError(what, Math.min(i, text.length));
  };
  const str = (): string => {
    const start = i;
    i++; // the opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        i++;
      } else if (text.charCodeAt(i) < 0x20) {
        fail('control character in a string');
      }
      i++;
    }
    if (i >= text.length) {
      i = start;
      fail('unterminated string');
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): JsonNode => {
    ws();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++;
      const members = new Map<string, JsonNode>();
      ws();
      if (text[i] === '}') {
        i++;
        return { start, end: i, members };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') {
          fail('expected a quoted key');
        }
        const keyStart = i;
        const key = str();
        ws();
        if (text[i] !== ':') {
          fail('expected ":"');
        }
        i++;
        const v = value();
        v.keyStart = keyStart;
        members.set(key, v);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { start, end: i, members };
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { start, end: i, items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { start, end: i, items };
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') {
      str();
      return { start, end: i };
    }
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (m === null || m[0] === '') {
      fail('expected a value');
    }
    i += m![0].length;
    return { start, end: i };
  };
  const root = value();
  ws();
  if (i < text.length) {
    fail('unexpected text after the document');
  }
  return root;
}

export interface Located {
  start: number; // where to put the mark (a member's key, else the value)
  end: number;
  exact: boolean; // false: the path's nearest existing parent (a required field that is absent)
}

// The place of path ("effects.0.per") in the tree; a key may itself hold dots, so at each object
// the longest run of segments that names a key wins.
export function locate(root: JsonNode, path: string): Located {
  const parts = path === '' ? [] : path.split('.');
  let node = root;
  let k = 0;
  while (k < parts.length) {
    let next: JsonNode | undefined;
    let used = 0;
    if (node.members) {
      for (let n = parts.length - k; n >= 1 && next === undefined; n--) {
        next = node.members.get(parts.slice(k, k + n).join('.'));
        used = n;
      }
    } else if (node.items && /^\d+$/.test(parts[k]!)) {
      next = node.items[Number(parts[k])];
      used = 1;
    }
    if (next === undefined) {
      return { start: node.keyStart ?? node.start, end: node.end, exact: false };
    }
    node = next;
    k += used;
  }
  return { start: node.keyStart ?? node.start, end: node.end, exact: true };
}

// The 1-based line and column of an offset.
export function lineOf(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  return { line, column: pos - before.lastIndexOf('\n') };
}

// A document as the editor shows it: two spaces of indent, short lists of plain values on one
// line (["time.weekday", [6, 7]]) so that a rule reads as it is written in docs/rules.md.
export function pretty(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    const flat = value.every((v) => v === null || typeof v !== 'object' || (Array.isArray(v) && v.every((w) => w === null || typeof w !== 'object')));
    const inline = '[' + value.map((v) => pretty(v)).join(', ') + ']';
    if (value.length === 0 || (flat && inline.length <= 60)) {
      return inline;
    }
    const inner = indent + '  ';
    return '[\n' + value.map((v) => inner + pretty(v, inner)).join(',\n') + '\n' + indent + ']';
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) {
      return '{}';
    }
    const inner = indent + '  ';
    return '{\n' + entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pretty(v, inner)}`).join(',\n') + '\n' + indent + '}';
  }
  return JSON.stringify(value) ?? 'null';
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// The JSON merge patch (RFC 7396) that turns before into after; undefined when they are equal.
export function mergePatch(before: unknown, after: unknown): unknown {
  if (!isObject(before) || !isObject(after)) {
    return JSON.stringify(before) === JSON.stringify(after) ? undefined : after;
  }
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(before)) {
    if (!(key in after) && before[key] !== null) {
      patch[key] = null;
    }
  }
  for (const [key, value] of Object.entries(after)) {
    const sub = key in before ? mergePatch(before[key], value) : value;
    if (sub !== undefined) {
      patch[key] = sub;
    }
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

