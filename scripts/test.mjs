#!/usr/bin/env node
// The checks and the test suite, on every Node this checkout has: `npm test` runs it after the build. The type
// check, the lint and the formatter's check run first, side by side.
//
// `.ci/nodes` pins the Nodes users build on (Vercel's default and newest build images), as optional
// packages of the registry that carry the binary: `npm ci --prefix .ci/nodes` installs them on linux x64
// and skips them elsewhere. When they are there, the whole suite runs on each of them (what is tagged `once`
// on the first only), and this Node (the machine's, normally the `engines` floor) runs the part tagged
// `floor` alongside: the unit tests, one Vite build and one Next.js build. When they are not, the whole
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
  // What is tagged `once` runs in the first whole run only: tsc's check of the published types and the check
  // of the lint's layer rules, whose answers are the same on every Node.
  for (const [i, { bin, version }] of installed.entries()) {
    runs.push(
      i === 0
        ? { bin, version, part: 'the whole suite', args: [] }
        : { bin, version, part: 'the whole suite but what is tagged once', args: ['--tags-filter', '!once'] },
    )
  }
  if (!installed.some(({ version }) => major(version) === major(process.version))) {
    // Alongside the first whole run, on one worker: the whole runs leave a core idle at times (a long
    // build at the end of a run, tests that wait), and two cores do not fit three runs one after another
    // in CI's time. Its output is kept and printed whole when it ends, so that no two logs interleave.
    // Only the files that have a test tagged `floor` are given: vitest imports every file it is given to
    // read its tags, which cost the floor run a fifth of its time.
    const files = passThrough.length === 0 ? floorFiles() : []
    floor = {
      bin: process.execPath,
      version: process.version,
      part: 'the floor part (unit tests, one Vite and one Next.js build)',
      args: ['--tags-filter', 'floor', '--maxWorkers', '1', ...files],
    }
  }
  const planned = [...runs, ...(floor ? [floor] : [])].map(({ version, part }) => `${part} on Node ${version}`)
  console.log(`[test] ${planned.join('; ')}${floor ? ' (alongside the first)' : ''}`)
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
 * One `vitest run` on the run's Node, that Node first on PATH: what the tests start by name (`npm`, a
 * `node` shebang) runs on it too. Its output goes to this terminal, or to `keep` when given.
 * @param {Run} run
 * @param {string[]} [keep]
 * @returns {Promise<Result>}
 */
function vitestRun(run, keep) {
  const started = Date.now()
  const env = { ...process.env, PATH: `${path.dirname(run.bin)}${path.delimiter}${process.env.PATH ?? ''}` }
  const child = spawn(run.bin, [vitest, 'run', ...run.args, ...passThrough], {
    cwd: root,
    env,
    stdio: ['ignore', keep ? 'pipe' : 'inherit', keep ? 'pipe' : 'inherit'],
  })
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

/**
 * The type check, the lint and the formatter's check, side by side (each keeps one core busy for a while): their output is printed
 * whole when they end, and the suites run only when both passed.
 * @returns {Promise<boolean>}
 */
async function checks() {
  const check = (/** @type {string} */ name, /** @type {string[]} */ args) =>
    new Promise((resolve) => {
      const output = /** @type {string[]} */ ([])
      const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
      child.stdout.on('data', (chunk) => output.push(String(chunk)))
      child.stderr.on('data', (chunk) => output.push(String(chunk)))
      child.on('close', (code) => resolve({ name, ok: code === 0, output: output.join('') }))
    })
  const done = /** @type {Array<{ name: string, ok: boolean, output: string }>} */ (
    await Promise.all([
      check('tsc --noEmit', [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit']),
      check('eslint .', [path.join(root, 'node_modules/eslint/bin/eslint.js'), '.']),
      check('prettier --check .', [path.join(root, 'node_modules/prettier/bin/prettier.cjs'), '--check', '--log-level', 'warn', '.']),
    ])
  )
  for (const { name, ok, output } of done) console.log(`[test] ${name}: ${ok ? 'passed' : 'FAILED'}${output ? `\n${output}` : ''}`)
  return done.every(({ ok }) => ok)
}

if (!(await checks())) {
  process.exitCode = 1
  process.exit()
}

/** @type {string[]} */
const floorLog = []
const floorDone = floor ? vitestRun(floor, floorLog) : undefined
/** @type {Result[]} */
const results = []
for (const run of runs) {
  console.log(`\n[test] ${run.part} on Node ${run.version} (${run.bin})\n`)
  results.push(await vitestRun(run))
}
if (floor && floorDone) {
  console.log(`\n[test] ${floor.part} on Node ${floor.version} (${floor.bin}), run alongside: its log\n`)
  results.push(await floorDone)
  process.stdout.write(floorLog.join(''))
}

console.log('')
for (const { version, part, ok, seconds, status } of results) {
  console.log(`[test] Node ${version}, ${part}: ${ok ? 'passed' : `FAILED (exit ${status})`} in ${seconds} s`)
}
process.exitCode = results.every(({ ok }) => ok) ? 0 : 1
