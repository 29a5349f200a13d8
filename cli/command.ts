// A minimal subcommand dispatcher shared by `weft` and `kubectl-weft`: each
// command is registered only once it works, and `--help` lists what exists.
import { ErrorCode, WeftError } from '../src/errors.js';
import { VERSION } from '../src/version.js';

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Runs the command with the arguments after its name; resolves to an exit code. */
  run(args: readonly string[]): Promise<number>;
}

export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
} as const;

function usage(program: string, commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 7);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    `Usage: ${program} <command> [flags]`,
    '',
    'Commands:',
    ...lines,
    `  ${'help'.padEnd(width)}  Show this help`,
    '',
    `Run '${program} <command> --help' for a command's flags.`,
  ].join('\n');
}

export function versionCommand(program: string): Command {
  return {
    name: 'version',
    summary: `Print the ${program} version`,
    run(): Promise<number> {
      process.stdout.write(`${program} ${VERSION} (node ${process.version})\n`);
      return Promise.resolve(ExitCode.Ok);
    },
  };
}

export async function dispatch(
  program: string,
  commands: readonly Command[],
  argv: readonly string[],
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? process.stderr : process.stdout).write(usage(program, commands) + '\n');
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (name === '--version') return versionCommand(program).run([]);
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`${program}: unknown command "${name}"\n${usage(program, commands)}\n`);
    return ExitCode.Usage;
  }
  return command.run(rest);
}

/** Entry-point glue: runs, sets the exit code, and turns a crash into one line. */
export function main(program: string, commands: readonly Command[]): void {
  dispatch(program, commands, process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${program}: ${err instanceof Error ? err.message : String(err)}\n`);
      // A bad flag is a usage error (2), like an unknown command; the rest fail (1).
      const usage = err instanceof WeftError && err.code === ErrorCode.ConfigInvalid;
      process.exitCode = usage ? ExitCode.Usage : ExitCode.Failure;
    },
  );
}
