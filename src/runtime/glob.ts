/**
 * The few glob forms a transform's `files` need (`transforms/**\/*.ts`, `lib/{a,b}.py`, `model-?.json`,
 * `data/[ab]*.csv`), compiled to one RegExp per pattern. Node 20 has no fs.glob (22 has), `path.matchesGlob` is
 * experimental and warns, and the project's dependencies carry no glob library; this covers what hashing needs.
 * `*`, `?` and classes never match `/`; `**` as a whole segment matches any number of segments. Walks skip
 * `node_modules` and `.git` unless the pattern itself names them.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ReflowError } from '../errors.js';

const SKIPPED_DIRS = new Set(['node_modules', '.git']);

export function checkGlob(pattern: unknown, field: string): string {
  if (typeof pattern !== 'string' || pattern.trim() === '') {
    throw new ReflowError('InvalidConfiguration', `${field} must be a non-empty glob string`, { field });
  }
  if (pattern.startsWith('/') || /^[A-Za-z]:/.test(pattern) || pattern.split('/').includes('..') || pattern.includes('\\')) {
    throw new ReflowError('InvalidConfiguration', `${field} '${pattern}' must be a path inside the project, relative, with '/' and without '..'`, { field });
  }
  compileGlob(pattern, field);
  return pattern;
}

export function compileGlob(pattern: string, field = 'glob'): RegExp {
  const segments = pattern.replace(/^\.\//, '').split('/').filter((s, i, all) => s !== '' || i === all.length - 1);
  let source = '';
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === '**') {
      source += last ? '.*' : '(?:[^/]+/)*';
      return;
    }
    source += segmentSource(segment, pattern, field) + (last ? '' : '/');
  });
  return new RegExp(`^${source}$`);
}

function segmentSource(segment: string, pattern: string, field: string): string {
  let out = '';
  let braces = 0;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) throw bad(pattern, field, 'an unclosed [');
      let body = segment.slice(i + 1, end);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else out += c.replace(/[.+^$()|\\{}]/g, '\\$&');
  }
  if (braces !== 0) throw bad(pattern, field, 'an unclosed {');
  return out;
}

function bad(pattern: string, field: string, why: string): ReflowError {
  return new ReflowError('InvalidConfiguration', `${field} '${pattern}' has ${why}`, { field });
}

/** The static directory a pattern starts from (`transforms/**\/*.ts` → `transforms`). */
function basePrefix(pattern: string): string {
  const segments = pattern.replace(/^\.\//, '').split('/');
  const out: string[] = [];
  for (const s of segments.slice(0, -1)) {
    if (/[*?[{]/.test(s)) break;
    out.push(s);
  }
  return out.join('/');
}

/** Relative paths (with '/') of the regular files under `root` that match any pattern, sorted, without duplicates. */
export function expandGlobs(root: string, patterns: readonly string[]): string[] {
  const found = new Set<string>();
  for (const pattern of patterns) {
    const regex = compileGlob(pattern);
    const base = basePrefix(pattern);
    walk(root, base, (rel) => {
      if (regex.test(rel)) found.add(rel);
    });
  }
  return [...found].sort();
}

function walk(root: string, rel: string, visit: (rel: string) => void): void {
  let entries;
  try {
    entries = readdirSync(rel ? join(root, rel) : root, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
    throw err;
  }
  for (const entry of entries) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) walk(root, child, visit);
    } else if (entry.isFile()) visit(child);
  }
}
