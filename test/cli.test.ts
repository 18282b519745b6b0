import { statSync } from 'node:fs'
import { chmod, copyFile, link, mkdir, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { hashFiles } from '../src/core/hash.js'
import { createManifest, serializeManifest } from '../src/core/manifest.js'
import { installWithPackages, repoRoot, run } from './helpers/fixture.js'
import { images, twoDeployments, writePlan } from './helpers/plan.js'
import { tempDir } from './helpers/tmp.js'
import { startSite, type SiteStandIn } from './stand-ins/site.mjs'
import { startVercelApi, type VercelApiStandIn } from './stand-ins/vercel-api.mjs'
import { HELP } from '../src/cli-help.js'

const TOKEN = 'tok_CLI_SECRET_9f8e7d6c5b4a'
const cli = path.join(repoRoot, 'dist/cli.js')
let api: VercelApiStandIn | undefined
let site: SiteStandIn | undefined
afterEach(async () => {
  await api?.close()
  await site?.close()
  api = site = undefined
})

const asRoot = process.getuid?.() === 0
/** The first folder above the run's temporary folder that other users cannot enter, if any (as root). */
const closedToOthers = asRoot
  ? (() => {
      for (let folder = path.dirname(tmpdir()); ; folder = path.dirname(folder)) {
        if ((statSync(folder).mode & 0o001) === 0) return folder
        if (folder === path.dirname(folder)) return undefined
      }
    })()
  : undefined

const imageInvalidate = (cwd: string, args: string[], env: Record<string, string> = {}) => run(process.execPath, [cli, ...args], { cwd, env })

async function setUp(srcImages: string[]) {
  api = await startVercelApi({ token: TOKEN, projectId: 'prj_1' })
  const dir = await tempDir()
  const plan = await writePlan(dir, srcImages)
  const env = { VERCEL_TOKEN: TOKEN, VERCEL_PROJECT_ID: 'prj_1', IMAGE_INVALIDATE_API_URL: api.origin }
  return { dir, plan, env }
}

describe('image-invalidate', () => {
  it.each([
    [['--help'], 'main'],
    [['plan', '--help'], 'plan'],
    [['apply', '--help'], 'apply'],
    [['apply', '-h'], 'apply'],
  ] as const)('prints the help for %j and exits 0', { tags: ['floor'] }, async (args, text) => {
    const result = await imageInvalidate(repoRoot, [...args])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(`${HELP[text]}\n`)
  })

  it.each([
    [[], /Usage:/],
    [['purge'], /unknown command "purge"/],
    [['apply', '--bogus'], /apply has no option --bogus/],
    [['apply', '--concurrency', '0'], /--concurrency "0" is not a whole number from 1 to 16/],
    [['apply', '--timeout', 'soon'], /--timeout "soon" is not a duration like 90s or 10m/],
    [['apply', '--base-path', 'docs'], /--base-path "docs" is not an absolute path: write it as Next.js basePath is written, e.g. \/docs/],
    [['apply', 'extra'], /apply takes options only, not "extra"/],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const result = await imageInvalidate(repoRoot, args)
    expect(result.code).toBe(2)
    expect(result.output).toMatch(message)
  })

  // One style: lower case, the command named, and the --help of that command (the main one for no command).
  it.each([
    [['purge'], 'unknown command "purge"', 'image-invalidate --help'],
    [['apply', '--bogus'], 'apply has no option --bogus', 'image-invalidate apply --help'],
    [['plan', '--dir'], 'plan --dir needs a value', 'image-invalidate plan --help'],
    [['doctor', '--json=yes'], 'doctor --json takes no value', 'image-invalidate doctor --help'],
    [['check-remote', 'now'], 'check-remote takes options only, not "now"', 'image-invalidate check-remote --help'],
    [['apply', '--timeout', 'soon'], 'apply --timeout "soon" is not a duration like 90s or 10m', 'image-invalidate apply --help'],
  ])('a usage error %j says what is wrong in one line and points to the help that says how', { tags: ['floor'] }, async (args, message, help) => {
    const result = await imageInvalidate(repoRoot, args)
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(`image-invalidate: ${message}\nRun '${help}' for usage.\n`)
  })

  // On the engines floor too: the command as users run it, one apply and one plan.
  it('applies the plan, prints a summary and exits 0', { tags: ['floor'] }, async () => {
    const { dir, plan, env } = await setUp(images(21))
    const result = await imageInvalidate(dir, ['apply', '--plan', plan, '--no-wait'], env)
    expect(result.code, result.output).toBe(0)
    expect(result.stderr).toContain(
      '[image-invalidate] plan build_new against build_old, the build-time plan: what changed or went, 21 source images in 3 calls\n',
    )
    expect(result.stdout).toBe('invalidated 21 of 21 in 3 successful calls (3 made, 0 retried)\n')
    expect(api!.invalidated.sort()).toEqual(images(21).sort())
  })

  it('reads the local plan the build wrote when --plan is not given, and prints JSON with --json', async () => {
    const { dir, env } = await setUp([])
    await writePlan(path.join(dir, 'node_modules/.cache/unplugin-image-invalidate'), ['/a.png', '/b.png'])
    const result = await imageInvalidate(dir, ['apply', '--json', '--no-wait'], env)
    expect(result.code, result.output).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report).toMatchObject({
      ok: true,
      invalidated: ['/a.png', '/b.png'],
      failed: [],
      retried: 0,
      calls: [{ outcome: 'ok', srcImages: ['/a.png', '/b.png'] }],
    })
  })

  it('exits 1 when an image was not invalidated, naming it', async () => {
    const { dir, plan, env } = await setUp(['/ok.png', '/bad.png'])
    api!.rejectImages(['/bad.png'])
    const result = await imageInvalidate(dir, ['apply', '--plan', plan, '--no-wait'], env)
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('not invalidated: /bad.png: Vercel rejected the request as invalid (400). Vercel said: Invalid source image: /bad.png')
  })

  it('with --wait sends nothing until the site serves the new build, then invalidates; the polls share one connection', async () => {
    const { dir, plan, env } = await setUp(images(9))
    const { live, next } = await twoDeployments(images(9), tempDir)
    // The site keeps an idle connection 30 s, so the client keeps it 28 s (undici takes the server's hint
    // less 2 s): far beyond the 2 s at most between two polls, even on a loaded machine.
    site = await startSite({ dir: live, keepAliveMs: 30_000 })
    const promotion = site.promoteIn(2_500, next)
    const result = await imageInvalidate(dir, ['apply', '--plan', plan, '--wait', '--site', site.origin], env)
    expect(result.code, result.output).toBe(0)
    expect(result.stderr).toContain('waiting: serving build_old')
    expect(api!.invalidations()).toHaveLength(2)
    expect(api!.invalidations()[0]!.at).toBeGreaterThanOrEqual(promotion.at)
    expect(site.requests.length).toBeGreaterThanOrEqual(3)
    // Every poll, one after the other, on the same keep-alive connection.
    expect(site.connections()).toBe(1)
  })

  it('with --wait gives up at --timeout, sends nothing and exits 1', async () => {
    const { dir, plan, env } = await setUp(images(9))
    site = await startSite({ dir: null })
    const result = await imageInvalidate(dir, ['apply', '--plan', plan, '--wait', '--timeout', '2s'], { ...env, IMAGE_INVALIDATE_SITE_URL: site.origin })
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /error: the site http:.*\/_image-invalidate\.json was not live after 2 s; last seen: missing: HTTP 404; nothing was invalidated/,
    )
    expect(api!.invalidations()).toHaveLength(0)
  })

  it('never prints the token, whatever goes wrong', async () => {
    const { dir, plan, env } = await setUp(images(3))
    const outputs: string[] = []
    const attempt = async (args: string[], extra: Record<string, string> = {}) => {
      const result = await imageInvalidate(dir, ['apply', '--plan', plan, ...(args.includes('--deployment') ? [] : ['--no-wait']), ...args], {
        ...env,
        ...extra,
      })
      outputs.push(result.output)
      return result
    }
    for (const status of [400, 401, 402, 403, 404]) {
      // A 400 is split down to single images: five calls for three images.
      const faults = Array.from({ length: status === 400 ? 5 : 1 }, () => ({ status, body: { error: { code: 'x', message: `echo ${TOKEN}` } } }))
      api!.injectFaults(faults)
      expect((await attempt([])).code).toBe(1)
      api!.injectFaults(faults)
      expect((await attempt(['--json'])).code).toBe(1)
    }
    expect((await attempt([], { VERCEL_PROJECT_ID: 'prj_missing' })).code).toBe(1)
    expect((await attempt([], { IMAGE_INVALIDATE_API_URL: 'http://example.com' })).code).toBe(1)
    expect((await attempt([], { VERCEL_TOKEN: `${TOKEN}\nsecond line` })).code).toBe(1)
    expect((await attempt(['--deployment', 'dpl_missing'])).code).toBe(1)
    expect((await attempt([], { IMAGE_INVALIDATE_API_URL: 'http://127.0.0.1:1' })).code).toBe(1)
    expect(outputs).toHaveLength(15)
    for (const output of outputs) {
      expect(output.length).toBeGreaterThan(0)
      expect(output).not.toContain(TOKEN)
    }
    expect(outputs.join('\n')).toContain('[redacted]')
  })

  it('apply --dry-run is a pre-flight: without a token it names VERCEL_TOKEN, and what would tell that D is live; exit 1', async () => {
    const { dir, plan, env } = await setUp(images(3))
    const result = await imageInvalidate(dir, ['apply', '--plan', plan, '--dry-run'], { ...env, VERCEL_TOKEN: '' })
    expect(result.code, result.output).toBe(1)
    const lines = result.stdout.trim().split('\n')
    expect(lines).toContainEqual(expect.stringMatching(/^problem token: no Vercel token; fix: set VERCEL_TOKEN /))
    expect(lines).toContainEqual(expect.stringMatching(/^problem watch: nothing tells when build_new is live.*; fix: pass --site URL/))
    expect(lines).toContainEqual(expect.stringMatching(/^note {4}P: unknown now, no --from; no site was watched/))
    expect(lines.at(-1)).toBe('dry run: nothing sent; a real run would stop on the 2 problems above')
    // Each line is one line, and none nests parentheses.
    for (const line of lines) expect(line, line).not.toMatch(/\([^)]*\(/)
    expect(api!.calls).toHaveLength(0)
  })

  it('apply --deployment X --dry-run names X and what it could not do: no token, then an API that does not answer', async () => {
    const dir = await tempDir()
    const noToken = await imageInvalidate(dir, ['apply', '--deployment', 'dpl_123', '--dry-run', '--json'])
    expect(noToken.code, noToken.output).toBe(1)
    const report = JSON.parse(noToken.stdout)
    expect(report).toMatchObject({ ok: false, dryRun: true, errorCode: 'IMAGE_INVALIDATE_NO_TOKEN', plan: null })
    expect(report.checks).toContainEqual(
      expect.objectContaining({
        subject: 'deployment',
        status: 'problem',
        message: 'deployment dpl_123, named by --deployment: not read, the API cannot be asked',
      }),
    )
    expect(report.checks).toContainEqual(
      expect.objectContaining({ subject: 'plan', status: 'problem', message: expect.stringContaining('deployment dpl_123') }),
    )

    const unreachable = await imageInvalidate(dir, ['apply', '--deployment', 'dpl_123', '--dry-run'], {
      VERCEL_TOKEN: TOKEN,
      VERCEL_PROJECT_ID: 'prj_1',
      IMAGE_INVALIDATE_API_URL: 'http://127.0.0.1:9',
    })
    expect(unreachable.code, unreachable.output).toBe(1)
    expect(unreachable.stdout).toContain(
      'problem deployment dpl_123, named by --deployment: reading deployment dpl_123 from the API: ECONNREFUSED (127.0.0.1:9)\n',
    )
    expect(unreachable.output).not.toContain(TOKEN)
  })

  it('apply --dry-run with all a real run needs exits 0: D, what it would watch and P named, the set it would send listed', async () => {
    const { dir, plan, env } = await setUp(images(9))
    const { live } = await twoDeployments(images(9), tempDir)
    site = await startSite({ dir: live })
    const result = await imageInvalidate(dir, ['apply', '--plan', plan, '--site', site.origin, '--dry-run'], env)
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toContain(`ok      watch: the site ${site.origin}/_image-invalidate.json, until it serves build_new\n`)
    expect(result.stdout).toContain('note    P: build_old, from the production site before the flip\n')
    expect(result.stdout).toMatch(/dry run: nothing sent; a real run would start, and send 9 source images as planned now\n$/)
    expect(result.stderr).toContain(
      'would send for build_old -> build_new, previous deployment from the production site before the flip: 9 source images in 2 calls',
    )
    expect(result.stderr).toContain('  would invalidate /img/0.png\n')
    expect(api!.calls).toHaveLength(0)
  })

  // As outside acceptance runs it: two manifests with remote images, the flip said to have happened.
  it('apply --plan D --from P --dry-run counts the remote images in what a real run would send', async () => {
    const remote = (etag: string) => ({
      version: 1 as const,
      images: { 'https://cdn.example.com/a.png': { etag }, 'https://cdn.example.com/b.png': { etag: '"b"' } },
    })
    const manifest = (buildId: string, etag: string, hash: string) =>
      serializeManifest(
        createManifest({
          buildId,
          basePath: '',
          images: { '/hero.png': { hash: hash.repeat(64), size: 1 } },
          plan: { baseline: null, srcImages: [] },
          remote: remote(etag),
        }),
      )
    const dir = await tempDir({ 'P.json': manifest('dpl_p', '"a1"', 'a'), 'D.json': manifest('dpl_d', '"a2"', 'b') })
    const result = await imageInvalidate(dir, ['apply', '--plan', 'D.json', '--from', 'P.json', '--no-wait', '--dry-run'], {
      VERCEL_TOKEN: TOKEN,
      VERCEL_PROJECT_ID: 'prj_1',
    })
    expect(result.code, result.output).toBe(0)
    expect(result.stderr).toContain('  would invalidate /hero.png\n')
    expect(result.stderr).toContain('  would invalidate remote https://cdn.example.com/a.png\n')
    expect(result.stderr).not.toContain('https://cdn.example.com/b.png')
    expect(result.stdout).toMatch(/a real run would start, and send 2 source images as planned now\n$/)
  })

  it('plan prints what a build would invalidate now, writing nothing', { tags: ['floor'] }, async () => {
    const dir = await tempDir({ 'public/a.png': 'a', 'public/b.png': 'b', 'public/c.png': 'c' })
    const first = await imageInvalidate(dir, ['plan', '--json'])
    expect(first.code, first.output).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({ srcImages: [], images: 3, baseline: null })
    // A baseline made by the package's own core, then an image changes.
    const { digests } = await hashFiles(['a', 'b', 'c'].map((name) => ({ key: `/${name}.png`, absolutePath: path.join(dir, 'public', `${name}.png`) })))
    await writeFile(
      path.join(dir, 'live.json'),
      serializeManifest(createManifest({ buildId: 'dpl_live', basePath: '', images: digests, plan: { baseline: null, srcImages: [] } })),
    )
    await writeFile(path.join(dir, 'public/b.png'), 'B')
    const second = await imageInvalidate(dir, ['plan', '--baseline', 'live.json', '--base-path', '/docs'])
    expect(second.code, second.output).toBe(0)
    expect(second.stdout).toMatch(/vs dpl_live: 1 changed, 0 removed, 0 added -> 1 source image to invalidate in 1 call\n {2}\/docs\/b\.png\n$/)
  })

  it('plan takes basePath from --base-path, else the baseline manifest, else the project, and says which', async () => {
    const dir = await tempDir({ 'public/a.png': 'a', 'public/b.png': 'b', 'next.config.mjs': "export default { basePath: '/docs' }\n" })
    await symlinkDeps(dir, ['next'])
    const { digests } = await hashFiles(['a', 'b'].map((name) => ({ key: `/${name}.png`, absolutePath: path.join(dir, 'public', `${name}.png`) })))
    const live = (basePath: string) =>
      serializeManifest(createManifest({ buildId: 'dpl_live', basePath, images: digests, plan: { baseline: null, srcImages: [] } }))
    await writeFile(path.join(dir, 'live.json'), live('/site'))
    await writeFile(path.join(dir, 'public/b.png'), 'B')

    const fromProject = await imageInvalidate(dir, ['plan'])
    expect(fromProject.stdout).toMatch(/^basePath "\/docs", from basePath in next\.config\.mjs\n/)
    const fromBaseline = await imageInvalidate(dir, ['plan', '--baseline', 'live.json'])
    expect(fromBaseline.code, fromBaseline.output).toBe(0)
    expect(fromBaseline.stdout).toMatch(/^basePath "\/site", from the baseline manifest\n.*\n {2}\/site\/b\.png\n$/)
    const fromFlag = await imageInvalidate(dir, ['plan', '--baseline', 'live.json', '--base-path', '/x', '--json'])
    expect(JSON.parse(fromFlag.stdout)).toMatchObject({ basePath: { value: '/x', source: '--base-path' }, srcImages: ['/x/b.png'] })
  })

  it('plan reads a Vite base as the build does, and warns that a relative one cannot be known', async () => {
    const dir = await tempDir({ 'public/a.png': 'a', 'vite.config.js': "export default { base: '/app/' }\n" })
    await symlinkDeps(dir, ['vite'])
    const absolute = await imageInvalidate(dir, ['plan', '--json'])
    expect(JSON.parse(absolute.stdout).basePath).toEqual({ value: '/app', source: 'base "/app/" in vite.config.js' })
    await writeFile(path.join(dir, 'vite.config.js'), "export default { base: './' }\n")
    const relative = await imageInvalidate(dir, ['plan'])
    expect(relative.code, relative.output).toBe(0)
    expect(relative.stderr).toContain('Vite base "./" is relative or a full URL, so the URL prefix of the images is unknown: pass --base-path')
  })

  it('plan: a --base-path without its leading slash is a usage error; a missing explicit baseline exits 1', async () => {
    const dir = await tempDir({ 'public/a.png': 'a' })
    const noSlash = await imageInvalidate(dir, ['plan', '--base-path', 'docs'])
    expect(noSlash.code).toBe(2)
    expect(noSlash.stderr).toContain('--base-path "docs" is not an absolute path: write it as Next.js basePath is written, e.g. /docs')
    const typo = await imageInvalidate(dir, ['plan', '--baseline', 'live-typo.json'])
    expect(typo.code).toBe(1)
    expect(typo.stderr).toContain(`baseline ${path.join(dir, 'live-typo.json')}, given by the baseline option, was not found`)
  })

  it('plan --json lists every unreadable file, where the warning names five and counts the rest', async () => {
    const dir = await tempDir({ 'public/ok.png': 'ok' })
    for (let i = 0; i < 50; i++) await symlink(path.join(dir, `gone-${i}.png`), path.join(dir, `public/broken-${i}.png`))
    const result = await imageInvalidate(dir, ['plan', '--json'])
    expect(result.code, result.output).toBe(0)
    expect(JSON.parse(result.stdout).unreadable).toHaveLength(50)
    expect(result.stderr).toMatch(/could not read 50 images, .* and 45 more\n/)
    expect(result.stderr.split('\n').every((line) => line.length < 1000)).toBe(true)
  })

  it('plan without a public folder exits at once: the hashing threads it starts ahead keep nothing alive', async () => {
    const dir = await tempDir()
    const started = Date.now()
    const result = await run(process.execPath, [cli, 'plan'], { cwd: dir, timeoutMs: 20_000 })
    // About 0.3 s alone, 2 s at most under the whole suite on two cores; a thread kept alive would hold it forever.
    expect(Date.now() - started).toBeLessThan(8_000)
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toContain('0 images (0 B read) hashed')
  })

  // Root lists any folder, so as root the CLI runs as nobody, who needs a way in: to the test's folder, and to
  // a copy there of the installed package and of Node, since the checkout (and the Node of .ci/nodes in it) may
  // sit below a folder nobody cannot enter (a clone in root's home, or in a `mktemp -d` folder).
  const skippedAsRoot = closedToOthers ? ` (skipped: as root it runs as nobody, who cannot enter ${closedToOthers}, above the temporary folder)` : ''
  it.skipIf(closedToOthers !== undefined)(`plan names a folder it cannot list, whose images are left out, and goes on${skippedAsRoot}`, async () => {
    const dir = await tempDir({ 'public/ok.png': 'ok', 'public/private/secret.png': 's' })
    const locked = path.join(dir, 'public/private')
    await chmod(locked, 0o000)
    try {
      let [node, command] = [process.execPath, cli]
      if (asRoot) {
        for (const folder of [path.dirname(dir), dir, path.join(dir, 'public')]) await chmod(folder, 0o755)
        await installWithPackages(dir, [], { copy: true })
        command = path.join(dir, 'node_modules/unplugin-image-invalidate/dist/cli.js')
        node = path.join(dir, 'node')
        await link(process.execPath, node).catch(() => copyFile(process.execPath, node))
      }
      const result = await run(node, [command, 'plan', '--json'], { cwd: dir, ...(asRoot ? { uid: 65534, gid: 65534 } : {}) })
      expect(result.code, result.output).toBe(0)
      expect(JSON.parse(result.stdout)).toMatchObject({ images: 1, unreadableFolders: [{ key: '/private', reason: expect.stringMatching(/^EACCES/) }] })
      expect(result.stderr).toContain(
        'could not list 1 folder, whose images are left out of the manifest and invalidated if the live deployment has them: ' +
          '/private (EACCES: permission denied)\n',
      )
    } finally {
      await chmod(locked, 0o755)
    }
  })

  it('plan on a public folder with a link cycle lists each image once and names the cycle', async () => {
    const dir = await tempDir({ 'public/x.png': 'x', 'public/a/y.png': 'y' })
    await symlink('..', path.join(dir, 'public/a/loop'))
    const result = await imageInvalidate(dir, ['plan', '--json'])
    expect(result.code, result.output).toBe(0)
    const document = JSON.parse(result.stdout)
    expect(document).toMatchObject({ images: 2, unreadable: [], linkCycles: [{ key: '/a/loop', target: path.join(dir, 'public') }] })
  })
})

/** Makes packages of this repository's node_modules resolvable from `dir`, as if installed there. */
async function symlinkDeps(dir: string, names: string[]) {
  await mkdir(path.join(dir, 'node_modules'))
  for (const name of names) await symlink(path.join(repoRoot, 'node_modules', name), path.join(dir, 'node_modules', name), 'dir')
}
