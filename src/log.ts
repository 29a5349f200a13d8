// Structured JSON logs, one object per line on stderr. Fields are caller-chosen;
// never pass tokens, keys or certificates' private parts.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export type LogSink = (line: string) => void;

const stderrSink: LogSink = (line) => {
  process.stderr.write(line + '\n');
};

function errorFields(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const out: Record<string, unknown> = { message: value.message, name: value.name };
  if ('code' in value) out.code = value.code;
  if (value.cause !== undefined) out.cause = errorFields(value.cause);
  return out;
}

export function createLogger(
  base: Record<string, unknown>,
  level: LogLevel = 'info',
  sink: LogSink = stderrSink,
): Logger {
  const emit =
    (lvl: LogLevel) =>
    (msg: string, fields: Record<string, unknown> = {}): void => {
      if (ORDER[lvl] < ORDER[level]) return;
      const entry: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, msg };
      for (const [k, v] of Object.entries({ ...base, ...fields })) entry[k] = errorFields(v);
      sink(JSON.stringify(entry));
    };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => createLogger({ ...base, ...fields }, level, sink),
  };
}
