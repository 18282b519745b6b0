import { execFileSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import type { Manifest } from '../src/core/manifest.js'
import { repoRoot, run } from './helpers/fixture.js'
import { writeOfflineLock } from './helpers/offline-install.js'

const npm = (args: string[], cwd: string, env: Record<string, string> = {}) => run('npm', args, { cwd, env, timeoutMs: 230_000 })

/** The project the first test installs the tarball into, for the tests after it; removed after the last. */
let installed: string | undefined
let work: string | undefined
afterAll(() => work && rm(work, { recursive: true, force: true }))

// What a user gets from `npm pack` (or an install from a git checkout): a fresh checkout has no dist/, so
// `prepack` must build it. The tarball is then installed as npm installs it, offline, from the lock and the
// npm cache that this repository's own `npm ci` filled, into a project outside the repository.
it('npm pack of a fresh checkout installs into a new project, where the command and a vite build work', async () => {
  work = await mkdtemp(path.join(tmpdir(), 'image-invalidate-pack-'))
  const checkout = path.join(work, 'checkout')
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean)
  for (const file of files) {
    await mkdir(path.dirname(path.join(checkout, file)), { recursive: true })
    await cp(path.join(repoRoot, file), path.join(checkout, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error // a file deleted in the working tree
    })
  }
  await symlink(path.join(repoRoot, 'node_modules'), path.join(checkout, 'node_modules'), 'dir')

  // prepack's build prints to stdout too; the JSON document is last.
  const packed = await npm(['pack', '--json', '--pack-destination', work], checkout)
  expect(packed.code, packed.output).toBe(0)
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[\s*\{/m))) as Array<{
    filename: string
    integrity: string
    files: Array<{ path: string }>
  }>
  const contents = info!.files.map((file) => file.path)
  expect(contents).toEqual(
    expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/cli.js', 'dist/index.js', 'dist/index.d.ts', 'dist/vite.js', 'dist/next.js']),
  )
  expect(contents.filter((file) => !file.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(file))).toEqual([])

  const project = path.join(work, 'project')
  await cp(path.join(repoRoot, 'fixtures/vite-app'), project, { recursive: true })
  const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as {
    name: string
    version: string
    dependencies: Record<string, string>
    bin: Record<string, string>
  }
  const viteVersion = (JSON.parse(await readFile(path.join(repoRoot, 'node_modules/vite/package.json'), 'utf8')) as { version: string }).version
  const tarball = {
    name: pkg.name,
    version: pkg.version,
    file: `../${info!.filename}`,
    integrity: info!.integrity,
    dependencies: pkg.dependencies,
    bin: pkg.bin,
  }
  await writeFile(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies: { [pkg.name]: tarball.file, vite: viteVersion } }),
  )
  await writeOfflineLock(project, repoRoot, tarball, { vite: viteVersion })
  const install = await npm(['ci', '--offline', '--no-audit', '--no-fund'], project)
  expect(install.code, install.output).toBe(0)
  installed = project

  const help = await npm(['exec', '--offline', '--', 'image-invalidate', '--help'], project)
  expect(help.code, help.output).toBe(0)
  expect(help.stdout).toContain('image-invalidate apply [options]')

  // Every entry of the exports map loads in a project that has only vite: the others import their
  // framework's types only, or nothing of it.
  const entries = ['', '/vite', '/webpack', '/rspack', '/rollup', '/esbuild', '/next', '/astro', '/nuxt'].map((entry) => `${pkg.name}${entry}`)
  const imported = await run(process.execPath, ['--input-type=module', '-e', `for (const id of ${JSON.stringify(entries)}) await import(id)`], { cwd: project })
  expect(imported.code, imported.output).toBe(0)

  const build = await npm(['exec', '--offline', '--', 'vite', 'build'], project)
  expect(build.code, build.output).toBe(0)
  expect(build.output).toMatch(/\[image-invalidate\] 7 images/)
  const manifest = JSON.parse(await readFile(path.join(project, 'dist/_image-invalidate.json'), 'utf8')) as Manifest
  expect(Object.keys(manifest.images)).toContain('/images/my photo.png')
})

// Phase 2 as a new user first meets it, without an account: the dry run says what a real run lacks.
it('the installed command: apply --dry-run without a token names VERCEL_TOKEN; --deployment X --dry-run names X, with no token and with an unreachable API', async () => {
  const project = installed
  if (!project) throw new Error('the test above did not install the package')
  const apply = (args: string[], env: Record<string, string> = {}) => npm(['exec', '--offline', '--', 'image-invalidate', 'apply', ...args], project, env)
  const plain = await apply(['--dry-run'])
  expect(plain.code, plain.output).toBe(1)
  expect(plain.stdout).toMatch(/^problem token: no Vercel token; fix: set VERCEL_TOKEN /m)

  const named = await apply(['--deployment', 'dpl_123', '--dry-run'])
  expect(named.code, named.output).toBe(1)
  expect(named.stdout).toContain('problem deployment dpl_123, named by --deployment: not read, the API cannot be asked')

  const unreachable = await apply(['--deployment', 'dpl_123', '--dry-run'], {
    VERCEL_TOKEN: 'tok_PACK_SECRET_1a2b3c',
    VERCEL_PROJECT_ID: 'prj_1',
    IMAGE_INVALIDATE_API_URL: 'http://127.0.0.1:9',
  })
  expect(unreachable.code, unreachable.output).toBe(1)
  expect(unreachable.stdout).toContain('deployment dpl_123, named by --deployment: reading deployment dpl_123 from the API: ECONNREFUSED (127.0.0.1:9)')
  expect(unreachable.output).not.toContain('tok_PACK_SECRET_1a2b3c')
})
