/** Reading command inputs: JSON given inline or as `@file`, times as ISO-8601 or epoch seconds, lists as a,b,c. */
import { readFileSync } from 'node:fs';
import { CliError } from './context.js';

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError('FileError', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** `@file` reads the file; anything else is the text itself. */
export function textArg(value: string): string {
  return value.startsWith('@') ? readText(value.slice(1)) : value;
}

/** JSON text (inline or @file), checked to parse; returns the text as given. */
export function jsonTextArg(value: string, what: string): string {
  const text = textArg(value);
  try {
    JSON.parse(text);
  } catch (err) {
    throw new CliError('InvalidArgument', `${what} is not valid JSON: ${(err as Error).message}`, 2);
  }
  return text;
}

export function jsonArg<T = unknown>(value: string, what: string): T {
  return JSON.parse(jsonTextArg(value, what)) as T;
}

export function timeArg(value: string, what: string): Date {
  const date = /^\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) throw new CliError('InvalidArgument', `${what} '${value}' is not a time (ISO-8601 or epoch seconds)`, 2);
  return date;
}

export function intArg(value: string, what: string): number {
  if (!/^-?\d+$/.test(value)) throw new CliError('InvalidArgument', `${what} '${value}' is not an integer`, 2);
  return Number(value);
}

export function listArg(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Copies only the defined values (the SDK's inputs reject nothing, but JSON output stays clean). */
export function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
