#!/usr/bin/env node
// The checks and the test suite, on every Node this checkout has: `npm test` runs it after the build. The type
// check, the lint and every run of the suite start at once.
//
// `.ci/nodes` pins the Nodes users build on (Vercel's default and newest build images), as optional
// packages of the registry that carry the binary: `npm ci --prefix .ci/nodes` installs them on linux x64
// and skips them elsewhere. When they are there, the whole suite runs on each of them (what is tagged `once`
// on the first only), and this Node (the machine's, normally the `engines` floor) runs the part tagged
// `floor`: the unit tests, one Vite build and one Next.js build. When they are not, the whole
// suite runs on this Node, as it always did.
// Arguments are passed to every `vitest run` (`npm test -- test/cli.test.ts`). Exits 1 when any run failed.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
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

/** @typedef {{ bin: string, version: string, part: string, args: string[] }} Run */
/** @typedef {Run & { ok: boolean, seconds: number, status: number | string | null }} Result */

/** @type {Run[]} */
const runs = []
/** @type {Run | undefined} */
let floor
if (installed.length === 0) {
  console.log(`[test] the Nodes of .ci/nodes are not installed (\`npm ci --prefix .ci/nodes\`, linux x64 only): the whole suite on this Node only`)
  runs.push({ bin: process.execPath, version: process.version, part: 'the whole suite', args: [] })
} else {
  // What is tagged `once` runs in the first whole run only: tsc's check of the published types, whose answer
  // is the same on every Node, and the bench's smoke run, which checks a contributors' script.
  for (const [i, { bin, version }] of installed.entries()) {
    runs.push(i === 0 ? { bin, version, part: 'the whole suite', args: [] } : { bin, version, part: 'the whole suite but what is tagged once', args: ['--tags-filter', '!once'] })
  }
  if (!installed.some(({ version }) => major(version) === major(process.version))) {
    // On one worker: it is small beside the whole runs. Only the files that have a test tagged `floor` are given: vitest imports every file it is given to
    // read its tags, which cost the floor run a fifth of its time.
    const files = passThrough.length === 0 ? floorFiles() : []
    floor = { bin: process.execPath, version: process.version, part: 'the floor part (unit tests, one Vite and one Next.js build)', args: ['--tags-filter', 'floor', '--maxWorkers', '1', ...files] }
  }
  console.log(`[test] ${[...runs, ...(floor ? [floor] : [])].map(({ version, part }) => `${part} on Node ${version}`).join('; ')}, and the type check and the lint, all at once`)
}

/**
 * The test files with a test tagged `floor`, relative to the root.
 * @returns {string[]}
 */
function floorFiles() {
  const testDir = path.join(root, 'test')
  return readdirSync(testDir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts') && /@module-tag floor|tags: \[[^\]]*'floor'/.test(readFileSync(path.join(testDir, file), 'utf8')))
    .map((file) => path.join('test', file))
}

/**
 * One command (a `vitest run` on its Node, or a check), that Node first on PATH: what the tests start by
 * name (`npm`, a `node` shebang) runs on it too. Its output goes to this terminal, or to `keep` when given.
 * @param {Run} run
 * @param {string[]} [keep]
 * @returns {Promise<Result>}
 */
function runPart(run, keep) {
  const started = Date.now()
  const env = { ...process.env, PATH: `${path.dirname(run.bin)}${path.delimiter}${process.env.PATH ?? ''}` }
  const child = spawn(run.bin, run.args, { cwd: root, env, stdio: ['ignore', keep ? 'pipe' : 'inherit', keep ? 'pipe' : 'inherit'] })
  child.stdout?.on('data', (chunk) => keep?.push(String(chunk)))
  child.stderr?.on('data', (chunk) => keep?.push(String(chunk)))
  return new Promise((resolve) => {
    child.on('error', (error) => {
      keep?.push(String(error))
      resolve({ ...run, ok: false, seconds: Math.round((Date.now() - started) / 1000), status: error.message })
    })
    child.on('close', (code, signal) => resolve({ ...run, ok: code === 0, seconds: Math.round((Date.now() - started) / 1000), status: code ?? signal }))
  })
}

/** @param {Run} run */
const vitestRun = (run) => ({ ...run, args: [vitest, 'run', ...run.args, ...passThrough] })
/** The type check and the lint, on this Node. @type {Run[]} */
const checks = [
  { bin: process.execPath, version: process.version, part: 'tsc --noEmit', args: [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit'] },
  { bin: process.execPath, version: process.version, part: 'eslint .', args: [path.join(root, 'node_modules/eslint/bin/eslint.js'), '.'] },
]

// Everything at once: CI's two cores are busy nearly all the time either way, and what one part leaves idle
// (a run's start, tests waiting on servers, a long build ending a run) another fills. The first whole run
// prints as it goes; the others' output is kept and printed whole, in order, when everything has ended, so
// that no two logs interleave.
const parts = [...runs.map(vitestRun), ...(floor ? [vitestRun(floor)] : []), ...checks]
const kept = parts.map((_, i) => (i === 0 ? undefined : /** @type {string[]} */ ([])))
console.log(`\n[test] ${parts[0]?.part} on Node ${parts[0]?.version} (${parts[0]?.bin}), the others' logs after it\n`)
const results = await Promise.all(parts.map((run, i) => runPart(run, kept[i])))
for (const [i, run] of parts.entries()) {
  if (i > 0) console.log(`\n[test] ${run.part} on Node ${run.version} (${run.bin}): its log\n${kept[i]?.join('') ?? ''}`)
}

console.log('')
for (const { version, part, ok, seconds, status } of results) {
  console.log(`[test] Node ${version}, ${part}: ${ok ? 'passed' : `FAILED (exit ${status})`} in ${seconds} s`)
}
process.exitCode = results.every(({ ok }) => ok) ? 0 : 1
