import { Command } from 'commander';
import { createRequire } from 'node:module';
import { registerStartCommand } from './commands/start-command.js';
import { registerDemoCommand } from './commands/demo-command.js';
import { registerSimulateCommand } from './commands/simulate-command.js';
import { registerReportCommand } from './commands/report-command.js';
import { registerExportCommand } from './commands/export-command.js';
import { registerKeysCommand } from './commands/keys-command.js';
import { registerMigrateCommand } from './commands/migrate-command.js';
import { registerPruneCommand } from './commands/prune-command.js';
import { registerRollupsCommand } from './commands/rollups-command.js';
import { registerBudgetsCommand } from './commands/budgets-command.js';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

/** Builds the `tokenmeter` command tree (tests run commands in-process through it). */
export function buildProgram(): Command {
  const program = new Command('tokenmeter')
    .description('LLM cost-control gateway: exact cost per call, attributed to features, tenants, tasks and outcomes')
    .version(version)
    .showHelpAfterError('(run with --help for usage)');
  registerStartCommand(program);
  registerDemoCommand(program);
  registerSimulateCommand(program);
  registerReportCommand(program);
  registerExportCommand(program);
  registerKeysCommand(program);
  registerMigrateCommand(program);
  registerPruneCommand(program);
  registerRollupsCommand(program);
  registerBudgetsCommand(program);
  return program;
}
