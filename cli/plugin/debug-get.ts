// One GET of a debug endpoint's JSON, bounded in time and size, held to its schema:
// what a control plane or sidecar says is data from another process, checked at the
// boundary like any other. Every failure is a PluginError with one line.
import http from 'node:http';
import type { z } from 'zod';
import { PluginError, PluginExit } from './errors.js';
import type { Tunnel } from './tunnel.js';

const TIMEOUT_MS = 15_000;
/** A 100 000-stream syncz or a 10 000-service view is well under this. */
const MAX_BYTES = 64 * 1024 * 1024;

function fetchText(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BYTES) return req.destroy(new Error(`answer over ${MAX_BYTES} bytes`));
        chunks.push(c);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000}s`)));
    req.on('error', reject);
  });
}

/** The first schema issue, with its path: `streams.0.pod: expected namespace/name`. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const where = issue.path.map(String).join('.');
  return where ? `${where}: ${issue.message}` : issue.message;
}

/** Parses a debug endpoint's answer, or says in one line why it cannot be used. */
export function parseAnswer<S extends z.ZodType>(
  schema: S,
  text: string,
  what: string,
): z.infer<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PluginError(`${what} answered something that is not JSON`, PluginExit.Unreachable);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new PluginError(
      `${what} answered an unexpected document (${firstIssue(parsed.error)}); is kubectl-weft the control plane's version?`,
      PluginExit.Unreachable,
    );
  }
  return parsed.data;
}

/** GET `path` through `tunnel` and parse it with `schema`; `what` names the target in errors. */
export async function debugGet<S extends z.ZodType>(
  tunnel: Tunnel,
  path: string,
  schema: S,
  what: string,
): Promise<z.infer<S>> {
  let answer;
  try {
    answer = await fetchText(tunnel.base + path);
  } catch (err) {
    const why = tunnel.failure() ?? (err instanceof Error ? err.message : String(err));
    const forbidden = /\b403\b|forbidden/i.test(why);
    throw new PluginError(
      `${forbidden ? 'forbidden: ' : ''}cannot reach ${what}: ${why}`,
      forbidden ? PluginExit.Forbidden : PluginExit.Unreachable,
    );
  }
  if (answer.status !== 200) {
    throw new PluginError(
      `${what} answered ${answer.status} to GET ${path}: ${answer.text.trim().slice(0, 200)}`,
      PluginExit.Unreachable,
    );
  }
  return parseAnswer(schema, answer.text, what);
}
