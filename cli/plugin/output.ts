// Printing: kubectl-style tables (upper-case headers, space-aligned), JSON, YAML;
// colour only when stdout is a terminal and NO_COLOR is unset.
import { stringify } from 'yaml';
import type { Severity } from '../../src/audit/model.js';

const COLOURS: Record<Severity, string> = {
  info: '2',
  low: '36',
  medium: '33',
  high: '31',
  critical: '1;31',
};

export function paint(text: string, severity: Severity, color: boolean): string {
  return color ? `\u001b[${COLOURS[severity]}m${text}\u001b[0m` : text;
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

export function table(headers: string[], rows: string[][]): string {
  const visible = (s: string): number => s.replace(ANSI, '').length;
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visible(c))))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function structured(format: 'json' | 'yaml', value: unknown): string {
  return format === 'json' ? JSON.stringify(value, null, 2) + '\n' : stringify(value);
}
