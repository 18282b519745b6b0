import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { cleanEnv } from './env.js'
import { lockClosure } from './offline-install.js'
import { killGroup, spawnTracked, stopChildren } from './processes.js'

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

export interface Fixture {
  dir: string
  path(...parts: string[]): string
  readJson<T = unknown>(...parts: string[]): Promise<T>
  remove(): Promise<void>
}

/**
 * Copies `fixtures/<name>` into a new temporary folder whose `node_modules` links this package (built in
 * `dist/`) and the bundlers it needs, so the fixture imports `unplugin-image-invalidate/vite` as a user would.
 */
export async function copyFixture(name: string, links: string[] = ['vite']): Promise<Fixture> {
  const dir = await mkdtemp(path.join(tmpdir(), `image-invalidate-${name}-`))
  await cp(path.join(repoRoot, 'fixtures', name), dir, { recursive: true })
  await mkdir(path.join(dir, 'node_modules'), { recursive: true })
  await symlink(repoRoot, path.join(dir, 'node_modules', 'unplugin-image-invalidate'), 'dir')
  for (const link of links) {
    const target = path.join(dir, 'node_modules', link)
    await mkdir(path.dirname(target), { recursive: true })
    await symlink(path.join(repoRoot, 'node_modules', link), target, 'dir')
  }
  return fixtureAt(dir)
}

function fixtureAt(dir: string): Fixture {
  return {
    dir,
    path: (...parts) => path.join(dir, ...parts),
    readJson: async (...parts) => JSON.parse(await readFile(path.join(dir, ...parts), 'utf8')),
    remove: () => removeFixture(dir),
  }
}

/** This package in `<dir>/node_modules`, as npm installs it: `package.json` and the built `dist/`. */
async function installThisPackage(dir: string): Promise<void> {
  const installed = path.join(dir, 'node_modules', 'unplugin-image-invalidate')
  await mkdir(installed, { recursive: true })
  await cp(path.join(repoRoot, 'package.json'), path.join(installed, 'package.json'))
  await cp(path.join(repoRoot, 'dist'), path.join(installed, 'dist'), { recursive: true })
}

/** Ends what still runs in the fixture (a build of a test that timed out), then removes it. */
async function removeFixture(dir: string): Promise<void> {
  await stopChildren()
  await rm(dir, { recursive: true, force: true })
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
  output: string
}

/**
 * Copies `fixtures/<name>` into `.test-tmp/` inside the repository, and installs this package there as npm
 * would (a copy of `package.json` and `dist/` in the fixture's `node_modules`). Next.js (Turbopack) refuses
 * files linked from outside its root and treats only real `node_modules` paths as packages; `next` and
 * `react` are found in the repository's own `node_modules`.
 */
export async function copyFixtureInRepo(name: string): Promise<Fixture> {
  // Named after the run's temporary folder, which the global teardown removes with it.
  const base = path.join(repoRoot, '.test-tmp', path.basename(tmpdir()))
  await mkdir(base, { recursive: true })
  const dir = await mkdtemp(path.join(base, `${name}-`))
  await cp(path.join(repoRoot, 'fixtures', name), dir, { recursive: true })
  await installThisPackage(dir)
  return fixtureAt(dir)
}

/** `next build` in a fixture, through Next.js's own command line, with telemetry off. */
export function nextBuild(fixture: Fixture, env: Record<string, string | undefined> = {}, args: string[] = []): Promise<RunResult> {
  return run(process.execPath, [path.join(repoRoot, 'node_modules/next/dist/bin/next'), 'build', ...args], {
    cwd: fixture.dir,
    env: { NEXT_TELEMETRY_DISABLED: '1', ...env },
    timeoutMs: 580_000,
  })
}

/** Runs a command to its end with a clean environment plus `env`; never rejects on a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number; uid?: number; gid?: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(command, args, { cwd: options.cwd, env: cleanEnv(options.env), uid: options.uid, gid: options.gid })
    child.stdin.end()
    let stdout = ''
    let stderr = ''
    let output = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
      output += chunk
    })
    const timer = setTimeout(() => killGroup(child.pid!), options.timeoutMs ?? 230_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, output })
    })
  })
}

/** The arguments that run Next.js's own command line (`next dev`, `next start`) with Node. */
export const nextCommand = (...args: string[]) => [path.join(repoRoot, 'node_modules/next/dist/bin/next'), ...args]

/** A TCP port free on 127.0.0.1 now, for a server a test starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** `vite build` in a fixture, through Vite's own command line. */
export function viteBuild(fixture: Fixture, env: Record<string, string | undefined> = {}, args: string[] = []): Promise<RunResult> {
  return run(process.execPath, [path.join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', ...args], { cwd: fixture.dir, env })
}

/**
 * Runs a server command (`vite`, `next dev`, `next start`) until it prints the URL it listens on, hands that
 * URL and its output so far to `use`, then ends it, whatever `use` does.
 */
export async function withServer(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; startMs?: number },
  use: (url: string, output: () => string) => Promise<void>,
): Promise<void> {
  const child = spawnTracked(process.execPath, args, { cwd: options.cwd, env: cleanEnv(options.env) })
  let output = ''
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start:\n${output}`)), options.startMs ?? 120_000)
      const onData = (chunk: Buffer) => {
        output += chunk
        // eslint-disable-next-line no-control-regex -- terminal colour codes are what this pattern removes
        const match = output.replace(/\u001b\[[0-9;]*m/g, '').match(/Local:\s+(http:\/\/\S+)/)
        if (match) {
          clearTimeout(timer)
          resolve(match[1]!)
        }
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)
      child.on('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`))
      })
    })
    await use(url, () => output)
  } finally {
    await stopChildren()
  }
}

/**
 * Copies `fixtures/<name>` into a new temporary folder and installs it as a project with its dependencies
 * would be: this package copied as npm installs it (`package.json` and `dist/`), every other package of
 * the repository's `node_modules` linked in. For the frameworks, whose builds resolve from the project root.
 */
export async function copyFixtureInstalled(name: string): Promise<Fixture> {
  const dir = await mkdtemp(path.join(tmpdir(), `image-invalidate-${name}-`))
  await cp(path.join(repoRoot, 'fixtures', name), dir, { recursive: true })
  const modules = path.join(dir, 'node_modules')
  await mkdir(modules, { recursive: true })
  for (const entry of await readdir(path.join(repoRoot, 'node_modules'))) {
    if (entry === 'unplugin-image-invalidate' || entry === '.cache' || entry === '.package-lock.json') continue
    await symlink(path.join(repoRoot, 'node_modules', entry), path.join(modules, entry), 'dir')
  }
  await installThisPackage(dir)
  return fixtureAt(dir)
}

/**
 * Copies `fixtures/<name>` into a new temporary folder where `packages` and all they need are real files
 * (hard links to the repository's, as fast as links and on the same disk) in its own `node_modules`, with
 * this package installed as npm would. For builds that refuse packages outside the project's root:
 * `vercel build` of Next.js traces from the project's root, where Turbopack must find `next`.
 */
export async function copyFixtureWithPackages(name: string, packages: string[]): Promise<Fixture> {
  const dir = await mkdtemp(path.join(tmpdir(), `image-invalidate-${name}-`))
  await cp(path.join(repoRoot, 'fixtures', name), dir, { recursive: true })
  await installWithPackages(dir, packages)
  return fixtureAt(dir)
}

/**
 * Installs this package into `<dir>/node_modules` as npm would, with what it needs at run time and
 * `packages` with all they need, taken from the repository's `node_modules`: hard links (as fast as links,
 * on the same disk), or with `copy` real copies, which work on any disk and which another user can read
 * wherever the repository sits.
 */
export async function installWithPackages(dir: string, packages: string[], { copy = false } = {}): Promise<void> {
  const own = (JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies
  const closure = await lockClosure(repoRoot, { ...own, ...Object.fromEntries(packages.map((name) => [name, '*'])) })
  for (const place of Object.keys(closure)) {
    // Optional packages of other platforms are in the lock, not on disk; a nested place came with its parent.
    if (!existsSync(path.join(repoRoot, place)) || existsSync(path.join(dir, place))) continue
    await mkdir(path.dirname(path.join(dir, place)), { recursive: true })
    if (copy) await cp(path.join(repoRoot, place), path.join(dir, place), { recursive: true })
    else execFileSync('cp', ['-al', path.join(repoRoot, place), path.join(dir, place)])
  }
  await installThisPackage(dir)
}

/**
 * `vercel build` (the `vercel` package pinned in devDependencies) in a fixture, offline, with the project
 * settings `vercel pull` would have written: its output is `.vercel/output`, as Vercel deploys it.
 * The install step is a no-op (the fixture is installed already) and the build command is given with
 * the path of its binary, since the fixture's `node_modules/.bin` is a link.
 */
export async function vercelBuild(
  fixture: Fixture,
  settings: { framework: string; buildCommand: string; outputDirectory?: string },
  env: Record<string, string | undefined> = {},
): Promise<RunResult> {
  await mkdir(fixture.path('.vercel'), { recursive: true })
  const project = { projectId: 'prj_fixture', orgId: 'team_fixture', settings: { installCommand: 'true', ...settings } }
  await writeFile(fixture.path('.vercel/project.json'), JSON.stringify(project))
  return run(process.execPath, [path.join(repoRoot, 'node_modules/vercel/dist/vc.js'), 'build', '--yes'], {
    cwd: fixture.dir,
    env: { VERCEL_TELEMETRY_DISABLED: '1', NEXT_TELEMETRY_DISABLED: '1', NO_UPDATE_NOTIFIER: '1', ...env },
    timeoutMs: 580_000,
  })
}
