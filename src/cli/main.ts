#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    console.error(`tokenmeter: ${(error as Error)?.message ?? error}`);
    process.exit(1);
  });
