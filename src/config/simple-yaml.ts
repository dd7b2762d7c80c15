/**
 * A lighter reading of the YAML most config and job files are written in: block mappings and
 * sequences indented with spaces, one-line flow collections (`{ field: created_at, olderThan: 30d }`,
 * `[ops@example.com]`), plain scalars and quoted ones without escapes, comments. It gives the value the
 * `yaml` package gives (YAML 1.2 core schema) or `undefined` for anything else: anchors, tags, block
 * scalars, multi-line scalars, escapes, duplicate keys, numbers other than decimal integers, malformed
 * YAML. Then the caller parses the text with the `yaml` package, which says what is wrong and where:
 * this reading never reports a problem of its own. A start over 10,000 job files spent most of its
 * reading in the full parser (about 85 µs a file); this takes a few.
 */

/** Not simple: the full parser decides. */
const NOT_SIMPLE = Symbol('not simple');
type Simple = unknown;

interface Line {
  /** Column of the first character of `text`. */
  indent: number;
  text: string;
}

/** The value of a simple YAML mapping document, or undefined when the text is not one this reading takes. */
export function simpleYamlValue(text: string): Record<string, unknown> | undefined {
  // Tabs, carriage returns, control characters, backslashes, surrogates, U+2028/2029 and a byte order mark: the full parser's.
  if (/[^\n\x20-\x5b\x5d-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]/.test(text)) return undefined;
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    let indent = 0;
    while (raw.charCodeAt(indent) === 0x20) indent++;
    const rest = trimSpaces(raw.slice(indent));
    if (rest === '' || rest.startsWith('#')) continue;
    // Directives and document markers.
    if (indent === 0 && (rest.startsWith('%') || rest.startsWith('---') || rest.startsWith('...'))) return undefined;
    lines.push({ indent, text: rest });
  }
  if (lines.length === 0 || lines[0]!.indent !== 0) return undefined;
  const reader = new BlockReader(lines);
  const value = reader.mapping(0);
  return value === NOT_SIMPLE || reader.at < lines.length ? undefined : (value as Record<string, unknown>);
}

const KEY = /^([A-Za-z_][A-Za-z0-9_-]*):(?: +|$)/;
/** Keys the core schema reads as null or a boolean, and the one a plain object cannot hold as data. */
const NOT_A_PLAIN_KEY = /^(?:[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE|__proto__)$/;

class BlockReader {
  at = 0;
  constructor(private readonly lines: Line[]) {}

  /** A block mapping whose keys are at column `indent`, from the current line. */
  mapping(indent: number): Simple {
    const out: Record<string, unknown> = {};
    while (this.at < this.lines.length) {
      const line = this.lines[this.at]!;
      if (line.indent < indent) break;
      if (line.indent > indent) return NOT_SIMPLE;
      if (isSequenceItem(line.text)) break;
      const key = KEY.exec(line.text);
      if (!key || NOT_A_PLAIN_KEY.test(key[1]!) || Object.hasOwn(out, key[1]!)) return NOT_SIMPLE;
      const rest = line.text.slice(key[0].length);
      this.at++;
      let value: Simple;
      if (rest === '' || rest.startsWith('#')) {
        const next = this.lines[this.at];
        if (next && next.indent > indent) value = this.block(next.indent);
        else if (next && next.indent === indent && isSequenceItem(next.text)) value = this.sequence(indent);
        else value = null;
      } else {
        value = inlineValue(rest);
        const next = this.lines[this.at];
        if (next && next.indent > indent) return NOT_SIMPLE;
      }
      if (value === NOT_SIMPLE) return NOT_SIMPLE;
      out[key[1]!] = value;
    }
    return out;
  }

  /** A block sequence whose `-` are at column `indent`, from the current line. */
  private sequence(indent: number): Simple {
    const out: unknown[] = [];
    while (this.at < this.lines.length) {
      const line = this.lines[this.at]!;
      if (line.indent !== indent || !isSequenceItem(line.text)) break;
      // `- x`: the item's content starts where x does, as if `- ` were indentation.
      let spaces = 1;
      while (line.text.charCodeAt(spaces) === 0x20) spaces++;
      const content = line.text.slice(spaces);
      if (content === '' || content.startsWith('#') || isSequenceItem(content)) return NOT_SIMPLE;
      const itemIndent = indent + spaces;
      let value: Simple;
      if (KEY.test(content)) {
        this.lines[this.at] = { indent: itemIndent, text: content };
        value = this.mapping(itemIndent);
      } else {
        this.at++;
        value = inlineValue(content);
      }
      if (value === NOT_SIMPLE) return NOT_SIMPLE;
      const next = this.lines[this.at];
      if (next && next.indent > indent) return NOT_SIMPLE;
      out.push(value);
    }
    return out;
  }

  private block(indent: number): Simple {
    return isSequenceItem(this.lines[this.at]!.text) ? this.sequence(indent) : this.mapping(indent);
  }
}

function isSequenceItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** The value written after `key: ` or `- ` on one line: a one-line flow collection, a quoted scalar or a plain one. */
function inlineValue(text: string): Simple {
  const c = text[0];
  if (c === '{' || c === '[' || c === '"' || c === "'") {
    const flow = new FlowReader(text);
    const value = flow.value();
    return value !== NOT_SIMPLE && flow.atEndOfLine() ? value : NOT_SIMPLE;
  }
  const comment = text.indexOf(' #');
  const plain = trimSpaces(comment === -1 ? text : text.slice(0, comment));
  return plainScalar(plain, false);
}

/** Characters that cannot begin a plain scalar this reading takes (YAML indicators). */
const INDICATOR = /^[-?:,[\]{}#&*!|>'"%@`]/;

function plainScalar(text: string, inFlow: boolean): Simple {
  if (text === '' || INDICATOR.test(text) || text.includes(': ') || text.endsWith(':') || text.includes(' #')) return NOT_SIMPLE;
  if (inFlow && /[,[\]{}]/.test(text)) return NOT_SIMPLE;
  // The core schema's tags, as the `yaml` package tests them; numbers other than decimal integers are the full parser's.
  if (/^(?:~|[Nn]ull|NULL)$/.test(text)) return null;
  if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(text)) return text[0] === 't' || text[0] === 'T';
  if (/^[-+]?[0-9]+$/.test(text)) return parseInt(text, 10);
  if (/^0o[0-7]+$|^0x[0-9a-fA-F]+$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$|^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(text)) return NOT_SIMPLE;
  return text;
}

/** A flow collection or quoted scalar that starts and ends on one line. */
class FlowReader {
  private at = 0;
  constructor(private readonly text: string) {}

  value(): Simple {
    this.skipSpaces();
    const c = this.text[this.at];
    if (c === '{') return this.mapping();
    if (c === '[') return this.sequence();
    if (c === '"' || c === "'") return this.quoted(c);
    return this.plain();
  }

  /** Nothing but spaces and a comment is left. */
  atEndOfLine(): boolean {
    const rest = this.text.slice(this.at);
    return /^ *$|^ +#/.test(rest);
  }

  private mapping(): Simple {
    const out: Record<string, unknown> = {};
    this.at++;
    this.skipSpaces();
    if (this.text[this.at] === '}') {
      this.at++;
      return out;
    }
    for (;;) {
      this.skipSpaces();
      const key = /^([A-Za-z_][A-Za-z0-9_-]*): +/.exec(this.text.slice(this.at));
      if (!key || NOT_A_PLAIN_KEY.test(key[1]!) || Object.hasOwn(out, key[1]!)) return NOT_SIMPLE;
      this.at += key[0].length;
      const value = this.value();
      if (value === NOT_SIMPLE) return NOT_SIMPLE;
      out[key[1]!] = value;
      this.skipSpaces();
      const c = this.text[this.at++];
      if (c === '}') return out;
      if (c !== ',') return NOT_SIMPLE;
    }
  }

  private sequence(): Simple {
    const out: unknown[] = [];
    this.at++;
    this.skipSpaces();
    if (this.text[this.at] === ']') {
      this.at++;
      return out;
    }
    for (;;) {
      const value = this.value();
      if (value === NOT_SIMPLE) return NOT_SIMPLE;
      out.push(value);
      this.skipSpaces();
      const c = this.text[this.at++];
      if (c === ']') return out;
      if (c !== ',') return NOT_SIMPLE;
    }
  }

  private quoted(quote: string): Simple {
    const end = this.text.indexOf(quote, this.at + 1);
    // Unclosed on this line, or `''` (a single quote written in a single-quoted scalar).
    if (end === -1 || this.text[end + 1] === quote) return NOT_SIMPLE;
    const value = this.text.slice(this.at + 1, end);
    this.at = end + 1;
    // A quoted key (`"a": 1`) is the full parser's.
    return this.text[this.at] === ':' ? NOT_SIMPLE : value;
  }

  private plain(): Simple {
    let end = this.at;
    while (end < this.text.length && !',[]{}'.includes(this.text[end]!)) end++;
    const value = plainScalar(trimSpaces(this.text.slice(this.at, end)), true);
    this.at = end;
    return value;
  }

  private skipSpaces(): void {
    while (this.text.charCodeAt(this.at) === 0x20) this.at++;
  }
}

/** Without the spaces at its end (only U+0020: YAML's other white space, the tab, is the full parser's; JavaScript's trim would take more). */
function trimSpaces(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x20) end--;
  return text.slice(0, end);
}
