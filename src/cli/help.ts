import { flagName } from '../pipeline/job.js';
import type { Command } from './command.js';

/** `--help` of one command, from the same option declarations the parser uses. */
export function renderHelp(command: Command, program = 'mtr'): string {
  const rows = Object.entries(command.options).map(([key, spec]) => {
    const left = `  --${flagName(key).slice(2)}${spec.type === 'boolean' ? '' : ` ${spec.placeholder ?? spec.type.toUpperCase()}`}`;
    const extras = [
      spec.choices ? `one of ${spec.choices.join('|')}` : '',
      spec.default !== undefined && spec.default !== false ? `default ${JSON.stringify(spec.default)}` : '',
      spec.env ? `env ${spec.env}` : '',
      spec.required ? 'required' : '',
    ].filter(Boolean);
    return { left, right: `${spec.description}${extras.length ? ` (${extras.join('; ')})` : ''}` };
  });
  const width = Math.max(...rows.map((r) => r.left.length), 10) + 2;
  return [
    `${program} ${command.name}${command.positionals ? ` ${command.positionals}` : ''} [options]`,
    '',
    command.summary,
    '',
    'Options:',
    ...rows.map((r) => r.left.padEnd(width) + r.right),
    `  --help${' '.repeat(Math.max(2, width - 8))}Show this help`,
    '',
    'Examples:',
    ...command.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}
