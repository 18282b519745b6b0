#!/usr/bin/env node
// The test suite, on every Node this checkout has: `npm test` runs it after the build and the type check.
//
// `.ci/nodes` pins the Nodes users build on (Vercel's default and newest build images), as optional
// packages of the registry that carry the binary: `npm ci --prefix .ci/nodes` installs them on linux x64
// and skips them elsewhere. When they are there, the whole suite runs on each of them, and this Node (the
// machine's, normally the `engines` floor) runs the part tagged `floor`: the unit tests, one Vite build and
// one Next.js build. When they are not, the whole suite runs on this Node, as it always did.
// Arguments are passed to every `vitest run` (`npm test -- test/cli.test.ts`). Exits 1 when any run failed.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs')
const passThrough = process.argv.slice(2)
const nodesDir = path.join(root, '.ci', 'nodes')
const major = (/** @type {string} */ version) => Number(version.replace(/^v/, '').split('.')[0])

const pinned = Object.keys(JSON.parse(readFileSync(path.join(nodesDir, 'package.json'), 'utf8')).optionalDependencies ?? {})
const installed = pinned
  .map((name) => path.join(nodesDir, 'node_modules', name, 'bin', 'node'))
  .filter((bin) => existsSync(bin))
  .map((bin) => ({ bin, version: execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim() }))

/** @type {{ bin: string, version: string, part: string, args: string[] }[]} */
const runs = []
if (installed.length === 0) {
  console.log(`[test] the Nodes of .ci/nodes are not installed (\`npm ci --prefix .ci/nodes\`, linux x64 only): the whole suite on this Node only`)
  runs.push({ bin: process.execPath, version: process.version, part: 'the whole suite', args: [] })
} else {
  if (!installed.some(({ version }) => major(version) === major(process.version))) {
    runs.push({ bin: process.execPath, version: process.version, part: 'the floor part (unit tests, one Vite and one Next.js build)', args: ['--tags-filter', 'floor'] })
  }
  for (const { bin, version } of installed) runs.push({ bin, version, part: 'the whole suite', args: [] })
  console.log(`[test] ${runs.map(({ version, part }) => `${part} on Node ${version}`).join('; ')}`)
}

/** @type {(typeof runs[number] & { ok: boolean, seconds: number, status: number | string | null })[]} */
const results = []
for (const run of runs) {
  console.log(`\n[test] ${run.part} on Node ${run.version} (${run.bin})\n`)
  const started = Date.now()
  // The run's Node first on PATH: what the tests start by name (`npm`, a `node` shebang) runs on it too.
  const env = { ...process.env, PATH: `${path.dirname(run.bin)}${path.delimiter}${process.env.PATH ?? ''}` }
  const result = spawnSync(run.bin, [vitest, 'run', ...run.args, ...passThrough], { cwd: root, env, stdio: 'inherit' })
  results.push({ ...run, ok: result.status === 0, seconds: Math.round((Date.now() - started) / 1000), status: result.status ?? result.signal })
}

console.log('')
for (const { version, part, ok, seconds, status } of results) {
  console.log(`[test] Node ${version}, ${part}: ${ok ? 'passed' : `FAILED (exit ${status})`} in ${seconds} s`)
}
process.exitCode = results.every(({ ok }) => ok) ? 0 : 1
