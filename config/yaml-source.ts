import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, Scalar, visit } from 'yaml';

/** 1-based, as editors count. */
export interface LinePos {
  readonly line: number;
  readonly col: number;
}

/** A parsed YAML file that can say where a setting is written, so a problem can name the line. */
export interface YamlSource {
  readonly value: unknown;
  /**
   * Where `path` is written: a mapping key's own position (where the person sees `site:`), a list
   * item's start. A path not in the file (a required field left out) gives its nearest written
   * ancestor, never the document itself; undefined when nothing closer than that is written.
   */
  position(path: ReadonlyArray<PropertyKey>): LinePos | undefined;
}

/**
 * Parses `text`; on syntax errors pushes one problem each (`file:line:col — YAML syntax: …`) and
 * returns undefined.
 */
export function parseYamlSource(text: string, shownAs: string, problems: string[]): YamlSource | undefined {
  // With prettyErrors off, yaml leaves e.linePos unset: a LineCounter turns e.pos into line:col.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const quote = e.code === 'MISSING_CHAR' ? unclosedQuoteAt(doc.contents, e.pos[0]) : undefined;
      if (quote) {
        const at = lineCounter.linePos(quote.offset);
        const end = lineCounter.linePos(e.pos[0]);
        const looked = end.line > at.line ? ` (the parser looked for it down to line ${end.line})` : '';
        problems.push(
          `${shownAs}:${at.line}:${at.col} — YAML syntax: this ${quote.mark} is never closed${looked}. Fix: close the value with ${quote.mark} on line ${at.line}.`,
        );
        continue;
      }
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      problems.push(
        `${shownAs}:${pos.line}:${pos.col} — YAML syntax: ${e.message.split('\n')[0]}. Fix: correct the indentation or quoting there.`,
      );
    }
    return undefined;
  }
  return {
    value: doc.toJS(),
    position(path) {
      let node: unknown = doc.contents;
      let found: number | undefined;
      for (const seg of path) {
        if (isMap(node)) {
          const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
          if (!pair) break;
          found = (pair.key as Node | null)?.range?.[0] ?? found;
          node = pair.value;
        } else if (isSeq(node) && typeof seg === 'number') {
          const item = node.items[seg] as Node | undefined;
          if (!item) break;
          found = item.range?.[0] ?? found;
          node = item;
        } else break;
      }
      return found === undefined ? undefined : lineCounter.linePos(found);
    },
  };
}

/**
 * An unclosed quote swallows the rest of the file, so the parser reports it at the end; the person
 * needs the line where the quote opens: the quoted scalar that runs up to the error.
 */
function unclosedQuoteAt(
  contents: unknown,
  errorOffset: number,
): { offset: number; mark: string } | undefined {
  let hit: { offset: number; mark: string } | undefined;
  visit(contents as Node, {
    Scalar(_key, node) {
      const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE;
      if (quoted && node.range && node.range[1] >= errorOffset && node.range[0] < errorOffset)
        hit = { offset: node.range[0], mark: node.type === Scalar.QUOTE_DOUBLE ? '"' : "'" };
    },
  });
  return hit;
}

/** `devices[12].site` → ['devices', 12, 'site']; undefined for text that is no such path. */
export function parsePath(text: string): Array<string | number> | undefined {
  if (!/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*|\[\d+\])*$/.test(text)) return undefined;
  return [...text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

/**
 * Gives each `file: path — …` problem of `file` the line and column of that path:
 * `file:line:col: path — …`. Paths set by an environment variable (`fromEnv`) are left without:
 * the file's line would point at a value that was overridden.
 */
export function withPositions(
  problems: readonly string[],
  file: string,
  src: YamlSource,
  fromEnv: ReadonlyArray<readonly string[]> = [],
): string[] {
  const prefix = `${file}: `;
  return problems.map((p) => {
    if (!p.startsWith(prefix)) return p;
    const dash = p.indexOf(' — ', prefix.length);
    const path = dash < 0 ? undefined : parsePath(p.slice(prefix.length, dash));
    if (!path || fromEnv.some((e) => e.every((seg, i) => path[i] === seg))) return p;
    const pos = src.position(path);
    return pos ? `${file}:${pos.line}:${pos.col}: ${p.slice(prefix.length)}` : p;
  });
}
