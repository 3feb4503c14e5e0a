/**
 * The V8 flags the `reflow` command runs with (its shebang line passes them, and `npm start`'s script;
 * `node-flags.test.ts` keeps them equal), and the store benchmark starts its servers with them too.
 *
 * `--max-semi-space-size=4` (MiB; Node 20's default is 16): a 2 GB upload or download streams ~32,000 socket
 * buffers through the young generation, which grows to its maximum and stays there. Capping it keeps the server's
 * RSS at ~134 MB instead of ~146-157 MB for a 2 GB transfer (the budget is 150 MB), for ~3 % more CPU per small PUT
 * (more frequent scavenges), measured with `npm run bench -- store`.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
