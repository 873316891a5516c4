#!/usr/bin/env node
// The `podlog` command. Node 24 runs the TypeScript sources directly (type stripping).
import { main } from '../src/cli.ts';

await main();
