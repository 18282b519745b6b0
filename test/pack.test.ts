import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import type { Manifest } from '../src/core/manifest.js'
import { repoRoot, run } from './helpers/fixture.js'
import { writeOfflineLock } from './helpers/offline-install.js'

const npm = (args: string[], cwd: string, env: Record<string, string> = {}) => run('npm', args, { cwd, env, timeoutMs: 230_000 })

interface PackageJson {
  name: string
  version: string
  dependencies: Record<string, string>
  bin: Record<string, string>
}

interface Installed {
  /** The files of the tarball, as `npm pack` lists them. */
  contents: string[]
  /** A project outside the repository (a copy of fixtures/vite-app) with the tarball installed. */
  project: string
  /** Where the package landed: `<project>/node_modules/unplugin-image-invalidate`. */
  packageDir: string
}

// The pack and the install are the slow part (81 s under the whole suite): done once for every test below.
let work: string | undefined
let installing: Promise<Installed> | undefined
const installedPackage = () => (installing ??= packAndInstall())
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

// What a user gets from `npm pack` (or an install from a git checkout): a fresh checkout has no dist/, so
// `prepack` must build it. The tarball is then installed as npm installs it, offline, from the lock and the
// npm cache that this repository's own `npm ci` filled, into a project outside the repository.
async function packAndInstall(): Promise<Installed> {
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
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.output}`)
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[\s*\{/m))) as Array<{
    filename: string
    integrity: string
    files: Array<{ path: string }>
  }>

  const project = path.join(work, 'project')
  await cp(path.join(repoRoot, 'fixtures/vite-app'), project, { recursive: true })
  const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as PackageJson
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
  const installed = await npm(['ci', '--offline', '--no-audit', '--no-fund'], project)
  if (installed.code !== 0) throw new Error(`npm ci of the tarball failed:\n${installed.output}`)
  return { contents: info!.files.map((file) => file.path), project, packageDir: path.join(project, 'node_modules', pkg.name) }
}

it('npm pack of a fresh checkout installs into a new project, where the command and a vite build work', async () => {
  const { contents, project } = await installedPackage()
  expect(contents).toEqual(
    expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/cli.js', 'dist/index.js', 'dist/index.d.ts', 'dist/vite.js', 'dist/next.js']),
  )
  // What users copy (the GitHub workflow) ships; nothing else of the repository does.
  expect(contents).toContain('examples/github-workflow.yml')
  const shipped = (file: string) => file.startsWith('dist/') || file.startsWith('examples/') || ['package.json', 'README.md', 'LICENSE'].includes(file)
  expect(contents.filter((file) => !shipped(file))).toEqual([])

  const help = await npm(['exec', '--offline', '--', 'image-invalidate', '--help'], project)
  expect(help.code, help.output).toBe(0)
  expect(help.stdout).toContain('image-invalidate apply [options]')

  // init loads its dependencies (magicast to read the config) from the install: the app has the plugin.
  const setUp = await npm(['exec', '--offline', '--', 'image-invalidate', 'init', '--dry-run', '--way', 'ci'], project)
  expect(setUp.code, setUp.output).toBe(0)
  expect(setUp.stdout).toContain('nothing to change: the app is set up already')

  // Every entry of the exports map loads in a project that has only vite: the others import their
  // framework's types only, or nothing of it.
  const { name } = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as PackageJson
  const entries = ['', '/vite', '/webpack', '/rspack', '/rollup', '/esbuild', '/next', '/astro', '/nuxt', '/routes'].map((entry) => `${name}${entry}`)
  const imported = await run(process.execPath, ['--input-type=module', '-e', `for (const id of ${JSON.stringify(entries)}) await import(id)`], { cwd: project })
  expect(imported.code, imported.output).toBe(0)

  const build = await npm(['exec', '--offline', '--', 'vite', 'build'], project)
  expect(build.code, build.output).toBe(0)
  expect(build.output).toMatch(/\[image-invalidate\] 7 images/)
  const manifest = JSON.parse(await readFile(path.join(project, 'dist/_image-invalidate.json'), 'utf8')) as Manifest
  expect(Object.keys(manifest.images)).toContain('/images/my photo.png')
})

/** The targets of a Markdown text's links and images, outside code: `[text](target)`, `![alt](target)`, `[label]: target`. */
function markdownLinks(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '')
  const inline = [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => match[1]!)
  const definitions = [...prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((match) => match[1]!)
  return [...inline, ...definitions]
}

/** The anchors GitHub and npm give a Markdown text's headings (github-slugger's rule, for the characters a README uses). */
function headingAnchors(markdown: string): Set<string> {
  const headings = markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)
  return new Set(
    [...headings].map((match) =>
      match[1]!
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  )
}

// The README is read from npm's page and from node_modules: a relative link must lead to a file the package
// holds (or a heading of the README), and anything else must be a full URL, not a path into the repository.
it('every relative link of the installed README resolves in the installed package, and every other is absolute', async () => {
  const { packageDir } = await installedPackage()
  const readme = await readFile(path.join(packageDir, 'README.md'), 'utf8')
  const links = markdownLinks(readme)
  const anchors = headingAnchors(readme)
  const absolute = links.filter((link) => /^[a-z][a-z\d+.-]*:/i.test(link))
  expect(absolute.length).toBeGreaterThan(0)
  for (const link of absolute) expect(link, 'an absolute link is https').toMatch(/^https:\/\/[^/]+\.[^/]+/)
  const relative = links.filter((link) => !absolute.includes(link))
  expect(relative).toContain('examples/github-workflow.yml')
  const broken = relative.filter((link) => {
    const [file, anchor] = link.split('#') as [string, string | undefined]
    if (file === '') return !anchors.has(anchor!)
    return file.startsWith('/') || !existsSync(path.join(packageDir, decodeURIComponent(file)))
  })
  expect(broken).toEqual([])
})

// Phase 2 tried from the installed package, with no account and no network: the demo and its stand-ins ship.
it('image-invalidate demo runs from the installed package and sends the flip after the promotion', async () => {
  const { project } = await installedPackage()
  const demo = await npm(['exec', '--offline', '--', 'image-invalidate', 'demo'], project)
  expect(demo.code, demo.output).toBe(0)
  expect(
    demo.stdout.match(/call \d, [\d.]+ s after the promotion: POST \/v1\/edge-cache\/invalidate-by-src-images\?projectIdOrName=prj_demo -> 200/g),
  ).toHaveLength(2)
  expect(demo.stdout).not.toContain('BEFORE the promotion')
  expect(demo.stdout).toContain('15 source images invalidated in 2 calls')
})

// Phase 2 as a new user first meets it, without an account: the dry run says what a real run lacks.
it('the installed command: apply --dry-run without a token names VERCEL_TOKEN; --deployment X --dry-run names X, with no token and with an unreachable API', async () => {
  const { project } = await installedPackage()
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
