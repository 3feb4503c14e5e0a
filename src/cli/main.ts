#!/usr/bin/env -S node --max-semi-space-size=4
import { buildProgram } from './program.js';
import { reportError } from './context.js';

// Reflow supports Node 20; the SDK's notice about its own future Node 22 requirement would break the CLI's
// contract that stderr carries only `<code>: <message>` lines.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => reportError(err));
