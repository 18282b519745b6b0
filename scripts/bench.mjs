// @ts-check
// npm run bench: how fast the plugin hashes public images, against the machine's practical limit.
//
//   node scripts/bench.mjs           the full benchmark: exits 1 if a target is missed or a case printed no row
//   node scripts/bench.mjs --smoke   small sets, one run each, no timing targets: exits 1 if a case printed no
//                                    row, or the unchanged rebuild or apply did other work than they should
//   node scripts/bench.mjs --clean   removes the data sets kept between runs, and nothing else
//   node scripts/bench.mjs --only next-dev   the next dev rows alone
//   node scripts/bench.mjs --only asset-webhook   the asset webhook rows alone (a few seconds)
//   node scripts/bench.mjs --only remote-images   the remote images rows alone
//
// Sets are generated once (deterministic bytes from AES-CTR) and kept for the next run in
// node_modules/.cache/unplugin-image-invalidate-bench/ (about 1.8 GB after a full run, 80 MB after --smoke).
// Everything else a run writes goes to one folder in the system temp folder, removed when it exits.
// Every method reads from a warm page cache: what is compared is CPU and system-call cost.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { performance } from 'node:perf_hooks'
import { availableParallelism, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { startVercelApi } from '../test/stand-ins/vercel-api.mjs'

const repo = fileURLToPath(new URL('..', import.meta.url))
const smoke = process.argv.includes('--smoke')
/** `--only next-dev` or `--only asset-webhook`: that case alone (a minute or two, against the full run's many). */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined
if (only !== undefined && only !== 'next-dev' && only !== 'asset-webhook' && only !== 'remote-images')
  throw new Error(`--only ${only}: the cases that run alone are next-dev, asset-webhook and remote-images`)
const runs = smoke ? 1 : 5
const cores = availableParallelism()
const MB = 1024 * 1024
/** The data sets, kept between runs: generating the full ones takes longer than measuring them. */
const DATA_DIR = path.join(repo, 'node_modules/.cache/unplugin-image-invalidate-bench')

if (process.argv.includes('--clean')) {
  await rm(DATA_DIR, { recursive: true, force: true })
  console.log(`removed ${DATA_DIR}`)
  process.exit(0)
}

// Outputs, plans and roots of one run; gone when the run ends, whichever way it ends.
const scratch = await mkdtemp(path.join(tmpdir(), 'image-invalidate-bench-'))
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }))
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.on(signal, () => process.exit(130))

/** @typedef {{ name: string, files: number, bytes: number, dir: string }} DataSet */

/** Deterministic pseudo-random bytes: the AES-256-CTR keystream for a seed. */
/** @param {string} seed @param {number} size */
function bytesFor(seed, size) {
  const iv = createHash('sha256').update(`iv:${seed}`).digest().subarray(0, 16)
  const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), iv)
  return cipher.update(Buffer.alloc(size))
}

/** A deterministic generator of sizes in [0, 1). */
/** @param {number} seed */
function random(seed) {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 2 ** 32
  }
}

/**
 * @param {string} name
 * @param {number[]} sizes
 * @param {number} [perFolder] files in each folder
 * @returns {Promise<DataSet>}
 */
async function makeSet(name, sizes, perFolder = 100) {
  const bytes = sizes.reduce((sum, size) => sum + size, 0)
  const id = createHash('sha256')
    .update(JSON.stringify([sizes, perFolder]))
    .digest('hex')
    .slice(0, 12)
  const dir = path.join(DATA_DIR, `${name}-${id}`)
  const done = path.join(dir, '.complete')
  if (!existsSync(done)) {
    await rm(dir, { recursive: true, force: true })
    const extensions = ['png', 'jpg', 'webp', 'avif']
    for (let i = 0; i < sizes.length; i++) {
      const folder = path.join(dir, 'images', String(Math.floor(i / perFolder)).padStart(3, '0'))
      if (i % perFolder === 0) await mkdir(folder, { recursive: true })
      // Large files are written in pieces so that generating them stays within memory too.
      const file = path.join(folder, `image-${i}.${extensions[i % extensions.length]}`)
      const size = sizes[i] ?? 0
      if (size <= 64 * MB) await writeFile(file, bytesFor(`${name}:${i}`, size))
      else
        for (let written = 0; written < size; written += 64 * MB)
          await writeFile(file, bytesFor(`${name}:${i}:${written}`, Math.min(64 * MB, size - written)), { flag: 'a' })
    }
    await writeFile(done, '')
  }
  return { name, files: sizes.length, bytes, dir }
}

/** @param {number} count @param {number} bigFiles @param {number} bigSize @param {number[]} [extra] */
function mixedSizes(count, bigFiles, bigSize, extra = []) {
  const next = random(42)
  const sizes = Array.from({ length: count }, () => Math.round(2048 * 1000 ** (next() ** 2)))
  return [...sizes, ...Array.from({ length: bigFiles }, (_, i) => bigSize + i * MB), ...extra]
}

/** @param {number} count */
function smallSizes(count) {
  const next = random(7)
  return Array.from({ length: count }, () => 2048 + Math.round(next() * 18 * 1024))
}

/** Reads every file once so that each method starts from the same warm page cache. */
/** @param {string} dir */
function warm(dir) {
  execFileSync('bash', ['-c', `find "${dir}" -type f -print0 | xargs -0 cat > /dev/null`])
}

const median = (/** @type {number[]} */ values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN

/**
 * Runs each method `runs` times, taking turns (A B C A B C ...) so that drift in the machine's speed hits
 * every method alike, and returns the median time and the largest peak RSS of each.
 */
/** @typedef {{ ms: number, rssMB?: number }} Sample */
/** @param {Array<() => Sample | Promise<Sample>>} methods */
async function measureInTurns(methods) {
  /** @type {Sample[][]} */
  const samples = methods.map(() => [])
  for (let i = 0; i < runs; i++) for (const [m, method] of methods.entries()) samples[m]?.push(await method())
  return samples.map((list) => ({ ms: median(list.map((sample) => sample.ms)), rssMB: Math.max(...list.map((sample) => sample.rssMB ?? 0)) }))
}

/** @param {string} command @returns {Sample} */
function timeCommand(command) {
  const started = process.hrtime.bigint()
  const result = spawnSync('bash', ['-c', command], { stdio: ['ignore', 'ignore', 'pipe'] })
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`)
  return { ms: Number(process.hrtime.bigint() - started) / 1e6 }
}

/**
 * Runs a Node snippet in a fresh process; it prints `{ ms, ... }` as JSON on its last line. Asynchronous,
 * so that stand-in servers in this process can answer it.
 */
/**
 * @param {string} source
 * @param {string[]} args
 * @returns {Promise<any>}
 */
function timeNode(source, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0 || stderr) reject(new Error(`node snippet failed (${code}): ${stderr}`))
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}'))
    })
  })
}

const OPENSSL = (/** @type {string} */ dir) => `find "${dir}" -type f -name 'image-*' -print0 | xargs -0 -P${cores} -n 500 openssl dgst -sha256 > /dev/null`

const SEQUENTIAL_NODE = `
import { readFileSync, readdirSync } from 'node:fs'
import { createHash } from 'node:crypto'
import path from 'node:path'
const dir = process.argv[1]
const started = performance.now()
const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile() && entry.name.startsWith('image-'))
let bytes = 0
for (const entry of files) {
  const data = readFileSync(path.join(entry.parentPath ?? entry.path, entry.name))
  createHash('sha256').update(data).digest('hex')
  bytes += data.length
}
console.log(JSON.stringify({ ms: performance.now() - started, bytes, rssMB: process.resourceUsage().maxRSS / 1024 }))
`

// What the cores give for the hashing alone: the files listed beforehand and split in equal halves, one
// per worker thread, timed once the workers have started. No walk, no start-up, no scheduling, no
// manifest: a bound that the plugin, which does all of these, cannot pass.
const HASHING_ALONE = `
import { readdirSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
const [dir, threads] = [process.argv[1], Number(process.argv[2])]
const files = readdirSync(dir, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.startsWith('image-'))
  .map((entry) => (entry.parentPath ?? entry.path) + '/' + entry.name)
const source = \`
const { openSync, fstatSync, readSync, closeSync } = process.getBuiltinModule('node:fs')
const { createHash, hash } = process.getBuiltinModule('node:crypto')
const { parentPort } = process.getBuiltinModule('node:worker_threads')
const buffer = Buffer.allocUnsafe(1 << 20)
parentPort.on('message', (list) => {
  for (const file of list) {
    const fd = openSync(file, 'r')
    const size = fstatSync(fd).size
    if (size <= buffer.length) hash('sha256', buffer.subarray(0, readSync(fd, buffer, 0, size, null)), 'buffer')
    else { const h = createHash('sha256'); let n; while ((n = readSync(fd, buffer, 0, buffer.length, null)) > 0) h.update(buffer.subarray(0, n)); h.digest() }
    closeSync(fd)
  }
  parentPort.postMessage('done')
})
parentPort.postMessage('ready')\`
const startWorker = () => new Promise((resolve) => {
  const worker = new Worker(source, { eval: true })
  worker.once('message', () => resolve(worker))
})
const workers = await Promise.all(Array.from({ length: threads }, startWorker))
const share = Math.ceil(files.length / threads)
const started = performance.now()
const hashShare = (worker, i) => new Promise((resolve) => {
  worker.once('message', resolve)
  worker.postMessage(files.slice(i * share, (i + 1) * share))
})
await Promise.all(workers.map(hashShare))
console.log(JSON.stringify({ ms: performance.now() - started }))
await Promise.all(workers.map((worker) => worker.terminate()))
`

// The plugin's own path, as a build runs it: options, scan, hash, manifest, write. Without its cache of
// digests, which would make every run after the first read nothing.
const PLUGIN = `
import { planBuild, resolveBuildOptions } from ${JSON.stringify(path.join(repo, 'dist/index.js'))}
const [dir, out] = process.argv.slice(1)
const options = resolveBuildOptions({ publicDir: dir, baseline: false, cache: false, planFile: out + '/plan.json' }, { root: out, env: {} })
const started = performance.now()
const result = await planBuild(options, [out], { info() {}, warn: console.error })
const ms = performance.now() - started
console.log(JSON.stringify({ ms, bytes: result.bytesHashed, files: Object.keys(result.manifest.images).length, rssMB: process.resourceUsage().maxRSS / 1024 }))
`

// The same, as a bundler plugin runs it (Vite, webpack, rollup, esbuild, Astro, Nuxt): the production build's
// start hook loads the planning code and starts the hashing threads, and the plan at its end finds them
// ready. Here through the rollup hook itself, with a short pause standing for the bundling in between.
const PLUGIN_AFTER_BUILD_START = `
import { planBuild, resolveBuildOptions, unpluginFactory } from ${JSON.stringify(path.join(repo, 'dist/index.js'))}
const [dir, out] = process.argv.slice(1)
unpluginFactory({ enabled: true }).rollup.buildStart.call({ meta: { watchMode: false } })
await new Promise((resolve) => setTimeout(resolve, 300))
const options = resolveBuildOptions({ publicDir: dir, baseline: false, cache: false, planFile: out + '/plan.json' }, { root: out, env: {} })
const started = performance.now()
const result = await planBuild(options, [out], { info() {}, warn: console.error })
const ms = performance.now() - started
console.log(JSON.stringify({ ms, bytes: result.bytesHashed, files: Object.keys(result.manifest.images).length, rssMB: process.resourceUsage().maxRSS / 1024 }))
`

/** @type {string[][]} */
const rows = []
/** @type {string[]} */
const misses = []
/** @param {boolean} ok @param {string} text */
function check(ok, text) {
  if (!ok) misses.push(text)
  return ok ? 'ok' : 'MISSED'
}

/**
 * The target column of a row: empty where no target applies, 'smoke' in a smoke run (whose figures decide
 * nothing), else the check.
 * @param {boolean} applies @param {boolean} ok @param {string} text
 */
function verdict(applies, ok, text) {
  if (!applies) return ''
  if (smoke) return 'smoke'
  return check(ok, text)
}

/**
 * The target column of the plugin's hashing row: against openssl and sequential Node on the mixed set,
 * against openssl and the "hashing alone" bound on the small one, 'smoke' in a smoke run.
 * @param {string | boolean} targets @param {string} name @param {number} vsOpenssl @param {number} vsSequential @param {number} ofBound
 */
function hashingVerdict(targets, name, vsOpenssl, vsSequential, ofBound) {
  if (targets === 'mixed')
    return [
      check(vsOpenssl >= 0.8, `${name}: ${vsOpenssl.toFixed(2)}x openssl < 0.8x`),
      check(vsSequential >= 1.6, `${name}: ${vsSequential.toFixed(2)}x sequential < 1.6x`),
    ].join(' / ')
  if (targets === 'small')
    return [
      check(vsOpenssl >= 0.7, `${name}: ${vsOpenssl.toFixed(2)}x openssl < 0.7x`),
      check(ofBound >= 0.6, `${name}: ${ofBound.toFixed(2)} of the bound < 0.6`),
    ].join(' / ')
  return 'smoke'
}

/**
 * The targets: on the mixed set, against openssl and sequential Node; on 20,000 tiny files, where two
 * cores leave fixed costs (thread start-up, walk, manifest) weighing against the parallel part, against
 * openssl and the "hashing alone" bound (issue 13's decision).
 * @param {DataSet} set @param {{ targets: 'mixed' | 'small' | false }} options
 */
async function hashingBench(set, { targets }) {
  warm(set.dir)
  const out = path.join(scratch, 'out')
  await mkdir(out, { recursive: true })
  /** @typedef {Sample & { rssMB: number }} Measured */
  const [openssl, sequential, alone, plugin, afterBuildStart] = /** @type {[Measured, Measured, Measured, Measured, Measured]} */ (
    await measureInTurns([
      () => timeCommand(OPENSSL(set.dir)),
      () => timeNode(SEQUENTIAL_NODE, [set.dir]),
      () => timeNode(HASHING_ALONE, [set.dir, String(cores)]),
      () => timeNode(PLUGIN, [set.dir, out]),
      () => timeNode(PLUGIN_AFTER_BUILD_START, [set.dir, out]),
    ])
  )
  const check1 = await timeNode(PLUGIN, [set.dir, out])
  await rm(out, { recursive: true, force: true })
  if (check1.files !== set.files || check1.bytes !== set.bytes)
    throw new Error(`the plugin hashed ${check1.files} files / ${check1.bytes} bytes, expected ${set.files} / ${set.bytes}`)

  const mbps = (/** @type {number} */ ms) => (set.bytes / MB / (ms / 1000)).toFixed(0)
  const vsOpenssl = openssl.ms / plugin.ms
  const vsSequential = sequential.ms / plugin.ms
  rows.push([`${set.name}: openssl dgst, ${cores} processes`, openssl.ms.toFixed(0), mbps(openssl.ms), '', '', ''])
  rows.push([`${set.name}: sequential Node`, sequential.ms.toFixed(0), mbps(sequential.ms), '', sequential.rssMB.toFixed(0), ''])
  rows.push([
    `${set.name}: hashing alone, ${cores} threads (bound)`,
    alone.ms.toFixed(0),
    mbps(alone.ms),
    `${(openssl.ms / alone.ms).toFixed(2)}x openssl, ${(sequential.ms / alone.ms).toFixed(2)}x seq`,
    '',
    '',
  ])
  rows.push([
    `${set.name}: unplugin-image-invalidate`,
    plugin.ms.toFixed(0),
    mbps(plugin.ms),
    `${vsOpenssl.toFixed(2)}x openssl, ${vsSequential.toFixed(2)}x seq, ${(alone.ms / plugin.ms).toFixed(2)} of bound`,
    plugin.rssMB.toFixed(0),
    hashingVerdict(targets, set.name, vsOpenssl, vsSequential, alone.ms / plugin.ms),
  ])
  rows.push([
    `${set.name}: the same, threads started at build start`,
    afterBuildStart.ms.toFixed(0),
    mbps(afterBuildStart.ms),
    `${(openssl.ms / afterBuildStart.ms).toFixed(2)}x openssl, ${(alone.ms / afterBuildStart.ms).toFixed(2)} of bound ` +
      '(bundler plugins; Next.js and the CLI start them at the end)',
    afterBuildStart.rssMB.toFixed(0),
    '',
  ])
  return plugin
}

/** @param {DataSet} set */
async function unchangedBuildBench(set) {
  // A second build with nothing changed: the baseline is fetched once from a stand-in site, every file is
  // stat'ed once, none is read (its digest comes from the first build's cache), nothing else goes out.
  const { startSite } = await import('../test/stand-ins/site.mjs')
  // Files written in the last 2 seconds are not cached (they could change again within a clock tick):
  // a set generated by this very run has to age that long first.
  const age = Date.now() - (await stat(path.join(set.dir, '.complete'))).ctimeMs
  if (age < 2_500) await new Promise((resolve) => setTimeout(resolve, 2_500 - age))
  const root = path.join(scratch, 'unchanged')
  await mkdir(root, { recursive: true })
  const source = `
import { planBuild, resolveBuildOptions } from ${JSON.stringify(path.join(repo, 'dist/index.js'))}
const [dir, root, out, baseline] = process.argv.slice(1)
const options = resolveBuildOptions({ publicDir: dir, baseline: baseline || false }, { root, env: {} })
const started = performance.now()
const result = await planBuild(options, [out], { info() {}, warn: console.error })
const { bytesHashed: bytes, reused, manifest } = result
console.log(JSON.stringify({ ms: performance.now() - started, bytes, reused, planned: manifest.plan.srcImages.length, baseline: manifest.plan.baseline }))
`
  const first = await timeNode(source, [set.dir, root, path.join(root, 'first'), ''])
  const site = await startSite({ dir: path.join(root, 'first') })
  const second = await timeNode(source, [set.dir, root, path.join(root, 'second'), `${site.origin}/_image-invalidate.json`])
  const requests = site.requests.length
  await site.close()
  await rm(root, { recursive: true, force: true })
  const ok = second.planned === 0 && second.bytes === 0 && second.reused === set.files && requests === 1 && second.baseline !== null
  rows.push([
    `${set.name}, unchanged rebuild`,
    second.ms.toFixed(0),
    '',
    `${second.reused} of ${set.files} unread (first build ${first.ms.toFixed(0)} ms), ${second.planned} planned, ${requests} request`,
    '',
    // What it did is checked in a smoke run too: only its time is a measure of the machine.
    check(ok, 'unchanged rebuild: files read again, or more than the baseline request, or something planned'),
  ])
}

/** @param {number} count @param {number} latencyMs @param {number} concurrency */
async function applyBench(count, latencyMs, concurrency) {
  const api = await startVercelApi({ token: 'bench', projectId: 'prj_bench', latencyMs })
  const { apply } = await import(path.join(repo, 'dist/index.js'))
  const planDir = path.join(scratch, 'plan')
  await mkdir(planDir, { recursive: true })
  await writeFile(path.join(planDir, 'plan.json'), await planText(count))
  // The stand-in holds each body to @vercel/sdk's schemas the first time it sends it, in this process (the
  // 232 KiB project that apply reads: about 100 ms, none of it the package's): asked once before the clock.
  await fetch(`${api.origin}/v9/projects/prj_bench`, { headers: { authorization: 'Bearer bench' } }).then((response) => response.arrayBuffer())
  const started = performance.now()
  // The flip is taken as seen (--no-wait): this row measures the calls.
  const report = await apply({
    root: planDir,
    plan: path.join(planDir, 'plan.json'),
    concurrency,
    wait: false,
    env: { VERCEL_TOKEN: 'bench', VERCEL_PROJECT_ID: 'prj_bench', IMAGE_INVALIDATE_API_URL: api.origin },
  })
  const ms = performance.now() - started
  if (!report.ok) throw new Error(`apply failed in the benchmark: ${report.error ?? JSON.stringify(report.failed.slice(0, 3))}`)
  const requests = api.invalidations().length
  await api.close()
  await rm(planDir, { recursive: true, force: true })
  const ideal = (Math.ceil(count / 8) / concurrency) * latencyMs
  // The calls are checked in a smoke run too; their time only in a full one.
  const ok = report.ok && requests === Math.ceil(count / 8) && (smoke || ms <= 1.3 * ideal)
  rows.push([
    `apply ${count} images, ${latencyMs} ms latency, ${concurrency} in flight`,
    ms.toFixed(0),
    '',
    `${requests} requests, ${(ms / ideal).toFixed(2)}x ideal ${ideal.toFixed(0)} ms`,
    '',
    check(ok, `apply: ${requests} requests in ${ms.toFixed(0)} ms (ideal ${ideal.toFixed(0)} ms)`),
  ])
}

/** A plan of `count` source images, as a build writes it. */
/** @param {number} count */
async function planText(count) {
  const { serializeManifest } = await import(path.join(repo, 'dist/index.js'))
  const srcImages = Array.from({ length: count }, (_, i) => `/images/photo-${String(i).padStart(4, '0')}.png`)
  return serializeManifest({
    version: 1,
    buildId: 'dpl_bench',
    createdAt: new Date().toISOString(),
    algorithm: 'sha256',
    basePath: '',
    images: {},
    plan: { baseline: 'dpl_prev', srcImages },
  })
}

/**
 * How long visitors can still get old variants after production flips: from the moment the site serves the
 * new build to the moment the last invalidation call was accepted, with `apply` watching the site at its
 * default poll interval. The flip is put at several offsets, since where it falls between two polls decides.
 * @param {number[]} flipAfterMs
 */
async function flipWindowBench(flipAfterMs) {
  const { startSite } = await import('../test/stand-ins/site.mjs')
  const { apply } = await import(path.join(repo, 'dist/index.js'))
  const { serializeManifest } = await import(path.join(repo, 'dist/index.js'))
  const api = await startVercelApi({ token: 'bench', projectId: 'prj_bench' })
  const root = path.join(scratch, 'flip')
  /** @type {number[]} */
  const windows = []
  const deploymentDir = async (/** @type {string} */ id, /** @type {string} */ bytes) => {
    const dir = path.join(root, id)
    await mkdir(dir, { recursive: true })
    const images = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`/images/${i}.png`, { hash: bytes.repeat(64), size: 1 }]))
    const manifest = {
      version: 1,
      buildId: id,
      createdAt: new Date().toISOString(),
      algorithm: 'sha256',
      basePath: '',
      images,
      plan: { baseline: null, srcImages: [] },
    }
    await writeFile(path.join(dir, '_image-invalidate.json'), serializeManifest(manifest))
    return dir
  }
  for (const [i, delay] of flipAfterMs.entries()) {
    const before = await deploymentDir(`build_old${i}`, 'a')
    const after = await deploymentDir(`build_new${i}`, 'b')
    const site = await startSite({ dir: before })
    const callsBefore = api.invalidations().length
    const flip = site.promoteIn(delay, after)
    const env = { VERCEL_TOKEN: 'bench', VERCEL_PROJECT_ID: 'prj_bench', IMAGE_INVALIDATE_API_URL: api.origin }
    const report = await apply({ root, plan: path.join(after, '_image-invalidate.json'), siteUrl: site.origin, env })
    await site.close()
    const calls = api.invalidations().slice(callsBefore)
    if (!report.ok || calls.length !== 2) throw new Error(`the flip-window run failed: ${report.error ?? `${calls.length} calls`}`)
    windows.push(Math.max(...calls.map((call) => call.at)) - flip.at)
  }
  await api.close()
  const window = median(windows)
  rows.push([
    'flip window: site flips -> last call accepted',
    window.toFixed(0),
    '',
    `polling from 1 s; flips at ${flipAfterMs.map((ms) => `${ms / 1000} s`).join(', ')}: ${windows.map((ms) => ms.toFixed(0)).join(', ')} ms`,
    '',
    smoke ? 'smoke' : check(Math.max(...windows) <= 2_000, `flip window up to ${Math.max(...windows).toFixed(0)} ms > 2 s`),
  ])
}

/**
 * A very large public folder: time and peak memory against parallel openssl, one run each (the set alone
 * takes minutes to generate the first time, and the page cache is what it is at this size).
 * @param {DataSet} set
 */
async function manyFilesBench(set) {
  warm(set.dir)
  const out = path.join(scratch, 'many')
  await mkdir(out, { recursive: true })
  const openssl = timeCommand(OPENSSL(set.dir))
  const plugin = await timeNode(PLUGIN, [set.dir, out])
  await rm(out, { recursive: true, force: true })
  if (plugin.files !== set.files) throw new Error(`the plugin hashed ${plugin.files} files, expected ${set.files}`)
  const ratio = openssl.ms / plugin.ms
  rows.push([
    `${set.name}: ${set.files} files in ${set.files / 1000} folders`,
    plugin.ms.toFixed(0),
    (set.bytes / MB / (plugin.ms / 1000)).toFixed(0),
    `${ratio.toFixed(2)}x openssl (${openssl.ms.toFixed(0)} ms)`,
    plugin.rssMB.toFixed(0),
    smoke
      ? 'smoke'
      : [
          check(ratio >= 0.4, `${set.name}: ${ratio.toFixed(2)}x openssl < 0.4x`),
          check(plugin.rssMB < 400, `${set.name}: peak RSS ${plugin.rssMB.toFixed(0)} MiB >= 400 MiB`),
        ].join(' / '),
  ])
}

/**
 * `image-invalidate plan` as a user runs it, from process start to exit, against parallel openssl on the
 * same files: start-up, walk, hashing, manifest and exit all count, beside an empty Node process for scale.
 *
 * NODE_EXTRA_CA_CERTS, when set (this project's machine sets it, as corporate networks do), is read by Node
 * at every start, before any code of ours: about 40 ms here. When it is set, the CLI is timed both ways,
 * and the target applies to the run without it, which is what the CLI itself costs.
 * @param {DataSet} set
 */
async function wholeProcessPlanBench(set) {
  warm(set.dir)
  const plan = `"${process.execPath}" "${path.join(repo, 'dist/cli.js')}" plan --dir "${set.dir}" --json > /dev/null`
  const empty = `"${process.execPath}" -e ""`
  const withoutCerts = (/** @type {string} */ command) => `env -u NODE_EXTRA_CA_CERTS ${command}`
  const certs = Boolean(process.env.NODE_EXTRA_CA_CERTS)
  const commands = [OPENSSL(set.dir), plan, empty, ...(certs ? [withoutCerts(plan), withoutCerts(empty)] : [])]
  const [openssl, cli, node, cliWithout, nodeWithout] = /** @type {[Sample, Sample, Sample, Sample | undefined, Sample | undefined]} */ (
    await measureInTurns(commands.map((command) => () => timeCommand(command)))
  )
  const row = (/** @type {string} */ name, /** @type {Sample} */ run, /** @type {Sample} */ emptyRun, /** @type {boolean} */ target) => {
    const ratio = openssl.ms / run.ms
    rows.push([
      name,
      run.ms.toFixed(0),
      (set.bytes / MB / (run.ms / 1000)).toFixed(0),
      `${ratio.toFixed(2)}x openssl (${openssl.ms.toFixed(0)} ms); an empty Node process: ${emptyRun.ms.toFixed(0)} ms`,
      '',
      verdict(target, ratio >= 0.8, `plan as a process: ${ratio.toFixed(2)}x openssl < 0.8x`),
    ])
  }
  row(`${set.name}: image-invalidate plan, whole process`, cli, node, !cliWithout)
  if (cliWithout && nodeWithout) row(`${set.name}: the same, Node started without NODE_EXTRA_CA_CERTS`, cliWithout, nodeWithout, true)
}

/**
 * What every `vite dev`, `next dev` and build pays to load the config: the import of each entry in a fresh
 * process, against importing `unplugin` alone (which every entry but /next loads anyway). Medians of
 * interleaved runs.
 */
async function importBench() {
  const entries = { unplugin: 'unplugin', '/vite': 'dist/vite.js', '/next': 'dist/next.js', '/webpack': 'dist/webpack.js', 'package root': 'dist/index.js' }
  const timeImport = (/** @type {string} */ specifier) => {
    const target = specifier === 'unplugin' ? 'unplugin' : pathToFileURL(path.join(repo, specifier)).href
    const source = `const t = performance.now(); await import(${JSON.stringify(target)}); console.log(JSON.stringify({ ms: performance.now() - t }))`
    return timeNode(source, [])
  }
  const specifiers = Object.values(entries)
  /** @type {number[][]} */
  const samples = specifiers.map(() => [])
  for (let i = 0; i < (smoke ? 1 : 15); i++) for (const [j, specifier] of specifiers.entries()) samples[j]?.push((await timeImport(specifier)).ms)
  const medians = samples.map(median)
  const base = medians[0] ?? NaN
  for (const [j, name] of Object.keys(entries).entries()) {
    const ms = medians[j] ?? NaN
    const added = ms - base
    rows.push([
      `import ${name}`,
      ms.toFixed(1),
      '',
      j === 0 ? 'the reference' : `${added >= 0 ? '+' : ''}${added.toFixed(1)} ms over unplugin`,
      '',
      verdict(j > 0, added <= 15, `import ${name}: +${added.toFixed(1)} ms over unplugin > 15 ms`),
    ])
  }
}

// A route's process, as a Vercel Function starts it: import unplugin-image-invalidate/routes, as the README's
// routes do, and create the handler (what the route module does when it loads), then the events, one after
// another, each answered with waitUntil.
// Prints the cold start, each answer's time and each event's time until the API stand-in has its URLs.
const ASSET_WEBHOOK_ROUTE = `
import { readFileSync } from 'node:fs'
const [index, root, apiUrl, eventsFile] = process.argv.slice(1)
const started = performance.now()
const { createAssetWebhookHandler } = await import(index)
const pending = []
const handler = createAssetWebhookHandler({
  provider: 'contentful', root, secret: process.env.BENCH_SECRET, token: 'bench', projectId: 'prj_bench', apiUrl, env: {},
  waitUntil: (promise) => pending.push(promise),
})
const coldStartMs = performance.now() - started
const answers = []
const sent = []
for (const event of JSON.parse(readFileSync(eventsFile, 'utf8'))) {
  const asked = performance.now()
  const response = await handler(new Request('http://localhost/api/assets/contentful', { method: 'POST', headers: event.headers, body: event.body }))
  answers.push(performance.now() - asked)
  if (response.status !== 202) throw new Error('answered ' + response.status + ': ' + (await response.text()))
  const outcome = await pending.at(-1)
  if (outcome.failed.length > 0) throw new Error('not sent: ' + JSON.stringify(outcome.failed))
  sent.push(performance.now() - asked)
}
console.log(JSON.stringify({ ms: coldStartMs, coldStartMs, answers, sent }))
`

/**
 * The asset webhook (issue 27) in a route's fresh process, 5 processes of 10 Contentful events each (signed
 * by Contentful's own toolkit beforehand), the API stand-in answering after 50 ms: what creating the handler
 * adds to the route's cold start (importing `/routes` and creating a Contentful handler; the
 * provider's module and @contentful/node-apps-toolkit load on the first event, and count in its answer);
 * the first answer after the cold start and the following ones, with waitUntil (target: median 200 ms at
 * most); and each event's time until the API has its URLs (target: 2 s at most, every event).
 */
async function assetWebhookBench() {
  const secret = 'qlfkupAwYA4ZkNnmBzmNypFqSRWOwhpGRFwQFn5iPNAGHSYdvwed1C77n0Eiaz19'
  const api = await startVercelApi({ token: 'bench', projectId: 'prj_bench', latencyMs: smoke ? 5 : 50 })
  const root = path.join(scratch, 'asset-webhook')
  await mkdir(path.join(root, '.next'), { recursive: true })
  const images = { remotePatterns: [{ protocol: 'https', hostname: 'images.ctfassets.net' }], domains: [] }
  await writeFile(path.join(root, '.next/required-server-files.json'), JSON.stringify({ version: 1, config: { images } }))
  const { signRequest } = await import('@contentful/node-apps-toolkit/requests')
  const processes = smoke ? 1 : 5
  /** @type {{ coldStartMs: number, answers: number[], sent: number[] }[]} */
  const results = []
  for (let run = 0; run < processes; run++) {
    const events = Array.from({ length: 10 }, (_, i) => {
      const headers = { 'content-type': 'application/vnd.contentful.management.v1+json', 'x-contentful-topic': 'ContentManagement.Asset.publish' }
      const url = `//images.ctfassets.net/space/asset${i}/token/hero-${run}-${i}.jpg`
      const body = JSON.stringify({ sys: { type: 'Asset', id: `asset${i}` }, fields: { file: { 'en-US': { url, fileName: 'hero.jpg' } } } })
      return { body, headers: { ...headers, ...signRequest(secret, { method: 'POST', path: '/api/assets/contentful', headers, body }) } }
    })
    const eventsFile = path.join(root, `events-${run}.json`)
    await writeFile(eventsFile, JSON.stringify(events))
    process.env.BENCH_SECRET = secret
    results.push(await timeNode(ASSET_WEBHOOK_ROUTE, [pathToFileURL(path.join(repo, 'dist/routes.js')).href, root, api.origin, eventsFile]))
  }
  await api.close()
  const coldStart = median(results.map((result) => result.coldStartMs))
  const first = median(results.map((result) => result.answers[0] ?? NaN))
  const warm = median(results.flatMap((result) => result.answers.slice(1)))
  const slowestSent = Math.max(...results.flatMap((result) => result.sent))
  rows.push(['asset webhook: import /routes, create a contentful handler', coldStart.toFixed(1), '', 'added to the route cold start', '', ''])
  rows.push([
    'asset webhook: first answer after a cold start (waitUntil)',
    first.toFixed(1),
    '',
    'loads the provider and its toolkit',
    '',
    verdict(true, first <= 200, `asset webhook: first answer ${first.toFixed(0)} ms > 200 ms`),
  ])
  rows.push([
    'asset webhook: answer (waitUntil)',
    warm.toFixed(1),
    '',
    '',
    '',
    verdict(true, warm <= 200, `asset webhook: answer ${warm.toFixed(0)} ms > 200 ms`),
  ])
  rows.push([
    'asset webhook: event -> the API has its URLs, slowest',
    slowestSent.toFixed(0),
    '',
    `${smoke ? 5 : 50} ms API latency`,
    '',
    verdict(true, slowestSent <= 2000, `asset webhook: sent after ${slowestSent.toFixed(0)} ms > 2 s`),
  ])
}

/**
 * `next dev` with withImageInvalidate against the same app without it: the time from spawning `next dev`
 * to Next.js's "Ready" line and to the first `/_next/image` answer, and the CPU time all its processes used
 * until then (the watcher is set up after the config loads, off that path: the target is no more than 5 %
 * of CPU added; wall times on this shared machine drift by a second between runs, so they are shown, not
 * held to a target), each the median of the differences of interleaved pairs of runs. Then, with the
 * plugin, right after the start and 5 s later, how long after a replaced image is written its cached
 * variant is gone (target: 500 ms at most, every run). The app is a copy of fixtures/next-app inside the
 * repository (Next.js refuses files linked from outside its root), removed at exit.
 */
async function nextDevBench() {
  const app = path.join(repo, `.bench-next-${process.pid}`)
  process.on('exit', () => rmSync(app, { recursive: true, force: true }))
  await cp(path.join(repo, 'fixtures/next-app'), app, { recursive: true })
  const installed = path.join(app, 'node_modules/unplugin-image-invalidate')
  await mkdir(installed, { recursive: true })
  await cp(path.join(repo, 'package.json'), path.join(installed, 'package.json'))
  await cp(path.join(repo, 'dist'), path.join(installed, 'dist'), { recursive: true })
  const configs = {
    without: `export default { reactStrictMode: true }\n`,
    with: `import { withImageInvalidate } from 'unplugin-image-invalidate/next'\nexport default withImageInvalidate({ reactStrictMode: true })\n`,
  }
  /** @type {Record<'without' | 'with', { ready: number[], image: number[], cpu: number[] }>} */
  const samples = { without: { ready: [], image: [], cpu: [] }, with: { ready: [], image: [], cpu: [] } }
  /** @type {{ early: number[], later: number[] }} */
  const gone = { early: [], later: [] }
  const hero = path.join(app, 'public/images/hero.png')
  // Other bytes at each write: my photo.png's, then hero.png's own again.
  const [photo, original] = [await readFile(path.join(app, 'public/images/my photo.png')), await readFile(hero)]
  for (let i = 0; i < runs; i++) {
    for (const variant of /** @type {const} */ (['without', 'with'])) {
      await writeFile(path.join(app, 'next.config.mjs'), configs[variant])
      // Every run's first image request is a miss, optimized by Next.js: like for like.
      await rm(path.join(app, '.next/dev/cache/images'), { recursive: true, force: true })
      await withNextDev(app, async (server) => {
        samples[variant].ready.push(server.readyMs)
        samples[variant].image.push(server.firstImageMs)
        samples[variant].cpu.push(server.cpuMs)
        if (variant !== 'with') return
        // Right after the start, when the hashing thread may not be started yet; then 5 s later, as when a
        // picture is replaced while one works.
        gone.early.push(await replacedImageGoneMs(app, server.origin, hero, photo, 32))
        await new Promise((resolve) => setTimeout(resolve, 5000))
        gone.later.push(await replacedImageGoneMs(app, server.origin, hero, original, 48))
        // The record is written again once the write is 2 s old, as a dev server left running would: the
        // next start then finds nothing changed, the common case.
        await new Promise((resolve) => setTimeout(resolve, 2500))
      })
    }
  }
  for (const measure of /** @type {const} */ (['ready', 'image', 'cpu'])) {
    if (samples.with[measure].some(Number.isNaN)) continue
    const withPlugin = samples.with[measure]
    const without = samples.without[measure]
    // Each run with the plugin against the run without just before it: the machine's drift between runs
    // (seconds, on a shared machine) cancels out of each pair.
    const added = median(withPlugin.map((ms, i) => ms - (without[i] ?? NaN)))
    const base = median(without)
    const what = { ready: 'spawn -> "Ready"', image: 'spawn -> first /_next/image answer', cpu: 'CPU of its processes to that answer' }[measure]
    rows.push([
      `next dev start-up, ${what}, with the plugin`,
      median(withPlugin).toFixed(0),
      '',
      `${added >= 0 ? '+' : ''}${added.toFixed(0)} ms over ${base.toFixed(0)} without (median of paired runs); ` +
        `with ${withPlugin.map((ms) => ms.toFixed(0)).join(', ')}, without ${without.map((ms) => ms.toFixed(0)).join(', ')}`,
      '',
      // Wall times on a shared machine drift by a second between runs: the target is on the CPU time.
      smoke
        ? 'smoke'
        : verdict(measure === 'cpu', added <= base * 0.05, `next dev ${what}: +${added.toFixed(0)} ms with the plugin > 5 % of ${base.toFixed(0)} ms`),
    ])
  }
  for (const [when, samples] of /** @type {const} */ ([
    ['right after the start', gone.early],
    ['5 s later', gone.later],
  ])) {
    rows.push([
      `next dev: replaced image written -> its variant gone, ${when}`,
      median(samples).toFixed(0),
      '',
      `runs: ${samples.map((ms) => ms.toFixed(0)).join(', ')} ms`,
      '',
      smoke
        ? 'smoke'
        : check(Math.max(...samples) <= 500, `a replaced image's variant was gone ${when} only after ${Math.max(...samples).toFixed(0)} ms > 500 ms`),
    ])
  }
}

/**
 * Runs `next dev` in `app` on 127.0.0.1 until `use` is done, timing the spawn to the "Ready" line and to the
 * first answer of an image request sent as soon as Next.js says where it listens.
 * @param {string} app
 * @param {(server: { origin: string, readyMs: number, firstImageMs: number, cpuMs: number }) => Promise<void>} use
 */
async function withNextDev(app, use) {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, [path.join(repo, 'node_modules/next/dist/bin/next'), 'dev', '--hostname', '127.0.0.1', '--port', String(port)], {
    cwd: app,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stop = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  process.on('exit', stop)
  try {
    let output = ''
    const readyMs = await new Promise((resolve, reject) => {
      const onData = (/** @type {Buffer} */ chunk) => {
        output += chunk
        if (/Ready in/.test(output)) resolve(performance.now() - started)
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)
      child.on('exit', (code) => reject(new Error(`next dev exited with ${code}:\n${output}`)))
    })
    const origin = `http://127.0.0.1:${port}`
    const response = await fetch(`${origin}/_next/image?url=%2Fimages%2Fhero.png&w=640&q=75`, { headers: { accept: 'image/webp' } })
    await response.arrayBuffer()
    if (response.status !== 200) throw new Error(`next dev answered ${response.status} for an image`)
    const firstImageMs = performance.now() - started
    await use({ origin, readyMs: Number(readyMs), firstImageMs, cpuMs: child.pid ? groupCpuMs(child.pid) : NaN })
  } finally {
    stop()
    process.off('exit', stop)
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)))
  }
}

/**
 * Caches a variant of hero.png at width `w`, writes other bytes over it, and returns how long after the
 * write returned the variant's cache entry was gone (polled every 2 ms).
 * @param {string} app @param {string} origin @param {string} hero @param {Buffer} bytes @param {number} w
 */
async function replacedImageGoneMs(app, origin, hero, bytes, w) {
  const cache = path.join(app, '.next/dev/cache/images')
  const before = new Set(await readdir(cache).catch(() => []))
  const response = await fetch(`${origin}/_next/image?url=%2Fimages%2Fhero.png&w=${w}&q=75`, { headers: { accept: 'image/webp' } })
  await response.arrayBuffer()
  const entry = (await readdir(cache)).find((name) => !before.has(name))
  if (!entry) throw new Error(`no new cache entry for hero.png at w=${w}`)
  await writeFile(hero, bytes)
  const written = performance.now()
  while (existsSync(path.join(cache, entry))) {
    if (performance.now() - written > 10_000) throw new Error(`the variant of hero.png was still cached 10 s after the write`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  return performance.now() - written
}

/**
 * The CPU time (user and system) the processes of a process group have used so far, from /proc (NaN
 * where there is none): less sensitive than wall time to what else the machine runs.
 * @param {number} group
 */
function groupCpuMs(group) {
  if (!existsSync('/proc/self/stat')) return NaN
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  let total = 0
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      // The command may hold spaces and parentheses: the fields after it start after the last ')'.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)?.split(' ') ?? []
      if (Number(fields[2]) === group) total += Number(fields[11]) + Number(fields[12])
    } catch {
      // Gone meanwhile.
    }
  }
  return (total / ticks) * 1000
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * The remote images step of a build (issue 28), through the public `planBuild`: a built page naming `count`
 * remote images through Vercel's optimizer, an origin answering each request after `latencyMs`. Three rows:
 * a first build (no baseline: every image fetched, its ETag taken, the body not read past 64 KiB), an
 * unchanged rebuild (every image asked with If-None-Match: 304, no body), and an unchanged rebuild of an
 * origin that sends no validator (every body read and hashed again: what a conditional request spares).
 * @param {number} count @param {number} latencyMs
 */
async function remoteImagesBench(count, latencyMs) {
  const { startImageOrigin } = await import('../test/stand-ins/image-origin.mjs')
  const { planBuild, resolveBuildOptions } = await import(path.join(repo, 'dist/index.js'))
  const origin = await startImageOrigin({ latencyMs })
  const size = 20 * 1024
  const root = path.join(scratch, 'remote-images')
  const out = path.join(root, 'out')
  await mkdir(path.join(root, '.vercel/output'), { recursive: true })
  await mkdir(out, { recursive: true })
  await writeFile(
    path.join(root, '.vercel/output/config.json'),
    JSON.stringify({ version: 3, images: { sizes: [640], remotePatterns: [{ hostname: '127.0.0.1' }] } }),
  )
  /** @param {'etag' | 'none'} behaviour */
  const page = async (behaviour) => {
    const urls = Array.from({ length: count }, (_, i) => origin.url(`/${behaviour}/${i}.png`))
    urls.forEach((url, i) => origin.set(new URL(url).pathname, bytesFor(String(i), size), behaviour))
    const tags = urls.map((url) => `<img src="/_vercel/image?url=${encodeURIComponent(url)}&amp;w=640&amp;q=75">`)
    await writeFile(path.join(out, 'index.html'), `<html><body>${tags.join('\n')}</body></html>`)
  }
  const silent = { info() {}, warn: (/** @type {string} */ message) => console.warn(message) }
  /** @param {string} name @param {string | false} baseline */
  const build = async (name, baseline) => {
    const planFile = path.join(root, `${name}.json`)
    const options = resolveBuildOptions(
      { enabled: true, baseline, cache: false, planFile, remoteImages: { dangerouslyAllowLocalIP: true } },
      { root, publicDir: false, remote: { dirs: [out] } },
    )
    const before = { ...origin.stats }
    const result = await planBuild(options, [], silent)
    const remote = result.remote
    if (Object.keys(remote.run.fingerprints).length !== count)
      throw new Error(`${name}: ${Object.keys(remote.run.fingerprints).length} of ${count} fingerprinted`)
    const cost = Object.fromEntries(Object.entries(origin.stats).map(([key, value]) => [key, value - before[/** @type {keyof typeof before} */ (key)]]))
    return { ms: remote.run.durationMs, cost, planFile }
  }
  /** @param {string} label @param {{ ms: number, cost: Record<string, number> }[]} samples @param {string} target */
  const row = (label, samples, target) => {
    const last = samples[samples.length - 1]
    const { requests = 0, notModified = 0, bodyBytes = 0 } = last?.cost ?? {}
    rows.push([
      label,
      median(samples.map((sample) => sample.ms)).toFixed(0),
      '',
      `${requests} requests, ${notModified} answered 304, ${(bodyBytes / 1024).toFixed(0)} KiB of bodies sent`,
      '',
      target,
    ])
  }

  await page('etag')
  const first = []
  const unchanged = []
  for (let i = 0; i < runs; i++) {
    const built = await build('first', false)
    first.push(built)
    unchanged.push(await build('again', built.planFile))
  }
  const firstMs = median(first.map((sample) => sample.ms))
  const allConditional = unchanged.every((sample) => sample.cost.notModified === count && sample.cost.bodyBytes === 0)
  row(
    `remote images: ${count} behind ${latencyMs} ms latency, first build (ETag)`,
    first,
    verdict(true, firstMs <= 2000, `remote images: ${count} fingerprinted in ${firstMs.toFixed(0)} ms > 2000 ms`),
  )
  row(
    `remote images: the same, unchanged rebuild (If-None-Match)`,
    unchanged,
    verdict(true, allConditional, 'remote images: an unchanged rebuild fetched bodies'),
  )

  await page('none')
  const noValidator = []
  const firstPlain = await build('plain', false)
  for (let i = 0; i < runs; i++) noValidator.push(await build('plain-again', firstPlain.planFile))
  row(`remote images: ${count} without validators, unchanged rebuild (SHA-256)`, noValidator, '')
  await origin.close()
}

function printTable() {
  const header = ['case', 'median ms', 'MiB/s', 'ratio', 'peak RSS MiB', 'target']
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => String(row[i]).length)))
  const line = (/** @type {string[]} */ cells) => cells.map((cell, i) => String(cell).padEnd(widths[i] ?? 0)).join('  ')
  console.log(`\n${line(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}`)
  for (const row of rows) console.log(line(row))
}

console.log(`unplugin-image-invalidate benchmark: ${cores} cores, Node ${process.version}, ${runs} run(s) per case${smoke ? ', smoke mode (no targets)' : ''}`)
/** The first words of each next dev row. */
const NEXT_DEV_ROWS = [
  'next dev start-up, spawn -> "Ready", with the plugin',
  'next dev start-up, spawn -> first /_next/image answer, with the plugin',
  'next dev start-up, CPU of its processes to that answer, with the plugin',
  'next dev: replaced image written -> its variant gone, right after the start',
  'next dev: replaced image written -> its variant gone, 5 s later',
]
/** The first words of each asset webhook row. */
const ASSET_WEBHOOK_ROWS = [
  'asset webhook: import /routes',
  'asset webhook: first answer after a cold start',
  'asset webhook: answer (waitUntil)',
  'asset webhook: event -> the API has its URLs',
]
/** The first words of each remote images row. */
const REMOTE_IMAGES_ROWS = ['remote images: ', 'remote images: the same, unchanged rebuild']
/** The cases that run alone (`--only`), and the rows each must print. */
const ALONE = {
  'next-dev': { run: () => nextDevBench(), rows: NEXT_DEV_ROWS },
  'asset-webhook': { run: () => assetWebhookBench(), rows: ASSET_WEBHOOK_ROWS },
  'remote-images': { run: () => remoteImagesBench(smoke ? 50 : 500, 50), rows: REMOTE_IMAGES_ROWS },
}
if (only !== undefined) {
  const alone = ALONE[/** @type {keyof typeof ALONE} */ (only)]
  await alone.run()
  printTable()
  checkTable(alone.rows)
  reportTargets()
  // The exit handlers remove the app copy and the scratch folder.
  process.exit()
}
const mixed = await makeSet(smoke ? 'smoke-mixed' : 'mixed', smoke ? mixedSizes(200, 1, 4 * MB) : mixedSizes(2997, 3, 52 * MB))
console.log(`  ${mixed.name}: ${mixed.files} files, ${(mixed.bytes / MB).toFixed(0)} MiB in ${mixed.dir}`)
const small = await makeSet(smoke ? 'smoke-small' : 'small', smallSizes(smoke ? 500 : 20_000))
console.log(`  ${small.name}: ${small.files} files, ${(small.bytes / MB).toFixed(0)} MiB in ${small.dir}`)
await hashingBench(mixed, { targets: !smoke && 'mixed' })
await hashingBench(small, { targets: !smoke && 'small' })
await wholeProcessPlanBench(mixed)

const huge = await makeSet(smoke ? 'smoke-huge' : 'huge', smoke ? mixedSizes(200, 1, 4 * MB, [16 * MB]) : mixedSizes(2997, 3, 52 * MB, [300 * MB]))
warm(huge.dir)
const hugeOut = path.join(scratch, 'huge')
await mkdir(hugeOut, { recursive: true })
const hugeRun = await timeNode(PLUGIN, [huge.dir, hugeOut])
await rm(hugeOut, { recursive: true, force: true })
rows.push([
  `${huge.name}: with one ${smoke ? 16 : 300} MiB file`,
  hugeRun.ms.toFixed(0),
  (huge.bytes / MB / (hugeRun.ms / 1000)).toFixed(0),
  '',
  hugeRun.rssMB.toFixed(0),
  smoke ? 'smoke' : check(hugeRun.rssMB < 200, `peak RSS ${hugeRun.rssMB.toFixed(0)} MiB >= 200 MiB`),
])

await unchangedBuildBench(mixed)
const many = await makeSet(
  smoke ? 'smoke-many' : 'many',
  smallSizes(smoke ? 2_000 : 200_000).map((size) => size >> 3),
  1_000,
)
await manyFilesBench(many)
await applyBench(smoke ? 100 : 1000, smoke ? 5 : 50, 4)
await flipWindowBench(smoke ? [300] : [1_500, 2_300, 3_100, 4_700, 6_900])
await importBench()
await assetWebhookBench()
await remoteImagesBench(smoke ? 50 : 500, 50)
await nextDevBench()
printTable()
checkTable([
  `${mixed.name}: openssl dgst`,
  `${mixed.name}: sequential Node`,
  `${mixed.name}: unplugin-image-invalidate`,
  `${small.name}: unplugin-image-invalidate`,
  `${mixed.name}: image-invalidate plan, whole process`,
  `${huge.name}: with one`,
  `${mixed.name}, unchanged rebuild`,
  `${many.name}: `,
  'apply ',
  'flip window: site flips -> last call accepted',
  'import unplugin',
  ...ASSET_WEBHOOK_ROWS,
  ...REMOTE_IMAGES_ROWS,
  ...NEXT_DEV_ROWS,
])
reportTargets()

/**
 * The table's own check, in every run, smoke or full: each case printed its row (a case can leave one out,
 * as next dev's CPU row does when a process's CPU time cannot be read), and every row has a median.
 * @param {string[]} expected the first words of each row
 */
function checkTable(expected) {
  for (const start of expected) if (!rows.some(([name]) => name?.startsWith(start))) misses.push(`no row for "${start}"`)
  for (const [name, ms] of rows) if (!Number.isFinite(Number(ms))) misses.push(`${name}: no median (${ms})`)
}

function reportTargets() {
  if (misses.length > 0) {
    console.log(`\nMissed:\n${misses.map((miss) => `  - ${miss}`).join('\n')}`)
    process.exitCode = 1
  } else console.log(smoke ? '\nsmoke run complete' : '\nall targets met')
}
